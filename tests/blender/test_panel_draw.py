# SPDX-License-Identifier: GPL-3.0-or-later
"""Every panel's draw() in every state the panel knows, with a layout stand-in that accepts only
what Blender's UILayout accepts: property paths must resolve, operators must be registered and
have the properties the panel sets, icons must exist."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import ModuleType, SimpleNamespace

import bpy
import pytest

from tests.blender.test_panel_support import (
    Layout,
    Recording,
    blender_module,
    click,
    context_for,
    draw,
    draw_all,
    make_head,
    plain_mesh,
)

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "presets" / "timelines" / "demo.json"
SECTIONS = ("FACS_MT_presets", "FACS_PT_main", "FACS_PT_avatar", "FACS_PT_controls", "FACS_PT_expressions",
            "FACS_PT_timeline", "FACS_PT_import", "FACS_PT_live", "FACS_PT_render")


def _drawn_controls(rec: Recording, obj: bpy.types.Object) -> list[str]:
    return [path[2:-2] for path in rec.paths(obj) if path.startswith('["AU')]


def test_every_section_draws_without_a_face(addon: ModuleType) -> None:
    recs = draw_all(addon, context_for(None))
    assert set(recs) == set(SECTIONS)
    assert "No face: select a mesh" in recs["FACS_PT_main"].labels
    assert recs["FACS_PT_avatar"].operator("facs.add_default_head")
    assert not recs["FACS_PT_controls"].props


def test_non_mesh_and_mesh_without_shape_keys(addon: ModuleType) -> None:
    empty = bpy.data.objects.new("Empty", None)
    bpy.context.scene.collection.objects.link(empty)
    recs = draw_all(addon, context_for(empty))
    assert "Empty is not a mesh" in recs["FACS_PT_main"].labels
    cube = plain_mesh(active=False)
    recs = draw_all(addon, context_for(cube))
    assert any("no shape keys" in label for label in recs["FACS_PT_avatar"].labels)
    assert recs["FACS_PT_avatar"].operator("facs.build_rig").text == "Build Rig"


def test_unrigged_head_previews_the_detected_preset(addon: ModuleType) -> None:
    head = make_head(addon, rigged=False)
    ctx = context_for(head)
    detected = blender_module(addon).panel_avatar.detected_preset(head, ctx)
    resolved, _ = blender_module(addon).rig.resolve_for(head, "auto", head.parent)
    assert detected == resolved.preset
    rec = draw_all(addon, ctx)["FACS_PT_avatar"]
    assert rec.operator("facs.build_rig").properties == {"preset": "auto"}
    au_numbers = sorted({int(c[2:4]) for c in resolved.controls})
    assert any(label.startswith(f"{len(au_numbers)} AUs expressible") for label in rec.labels), rec.labels


def test_preset_menu_lists_builtin_and_user_presets(addon: ModuleType, tmp_path: Path) -> None:
    head = make_head(addon, rigged=False)
    presets = addon.core.mapping.presets
    shutil.copy(presets.BUILTIN_DIR / "arkit52.json", tmp_path / "my_face.json")
    prefs = blender_module(addon).addon.preferences()
    prefs.user_presets_dir = str(tmp_path)
    try:
        menu = draw_all(addon, context_for(head))["FACS_MT_presets"]
    finally:
        prefs.user_presets_dir = ""
    detected = blender_module(addon).panel_avatar.detected_preset(head, context_for(head))
    builtin = [(n, n) for n in presets.preset_names()]
    assert [(op.text, op.properties["value"]) for op in menu.operators] == [
        (f"Auto ({detected})", "auto"), *builtin, ("my_face (user)", "my_face")]
    assert {op.properties["data_path"] for op in menu.operators} == {"scene.facs_rig.preset"}
    picked = menu.operators[2]
    assert click(picked) == {"FINISHED"}
    assert bpy.context.scene.facs_rig.preset == picked.properties["value"]
    avatar = draw_all(addon, context_for(head))["FACS_PT_avatar"]
    assert avatar.operator("facs.build_rig").properties == {"preset": picked.properties["value"]}
    assert avatar.menus == ["FACS_MT_presets"]


def test_a_preset_that_went_away_is_named_not_passed_on(addon: ModuleType) -> None:
    head = make_head(addon, rigged=False)
    bpy.context.scene.facs_rig.preset = "gone"
    rec = draw_all(addon, context_for(head))["FACS_PT_avatar"]
    assert any(label.startswith("Preset 'gone' not found") for label in rec.labels)
    assert rec.operator("facs.build_rig").properties == {}
    assert ("set", ("enabled", False)) in rec.log


def test_rigged_head_draws_every_control_with_its_letter(addon: ModuleType) -> None:
    head = make_head(addon)
    controls = blender_module(addon).props.face_controls(head)
    head[controls[0]] = 0.3
    ctx = context_for(head)
    rec = draw_all(addon, ctx)["FACS_PT_controls"]
    assert sorted(_drawn_controls(rec, head)) == sorted(controls)
    scale = blender_module(addon).preferences.intensity_scale(ctx)
    log = [entry for entry in rec.log if entry[0] in ("prop", "label")]
    path = f'["{controls[0]}"]'
    first = next(i for i, (name, args) in enumerate(log) if name == "prop" and args["property"] == path)
    assert log[first + 1][1]["text"] == scale.to_letter(0.3)
    rec.operator("facs.reset_controls")
    rec.operator("facs.key_controls")


def test_letters_follow_the_preferred_scale(addon: ModuleType) -> None:
    head = make_head(addon)
    control = blender_module(addon).props.face_controls(head)[0]
    head[control] = 0.3
    prefs = blender_module(addon).addon.preferences()
    letters = {}
    try:
        for scale in ("facs", "linear"):
            prefs.intensity_scale = scale
            rec = draw_all(addon, context_for(head))["FACS_PT_controls"]
            log = [e for e in rec.log if e[0] in ("prop", "label")]
            i = next(i for i, (n, a) in enumerate(log) if n == "prop" and a["property"] == f'["{control}"]')
            letters[scale] = log[i + 1][1]["text"]
    finally:
        prefs.intensity_scale = "facs"
    core = blender_module(addon).preferences.scale_from_spec
    assert letters == {"facs": core("facs").to_letter(0.3), "linear": core("linear").to_letter(0.3)}
    assert letters["facs"] != letters["linear"]


@pytest.mark.parametrize("text", ["mouth", "12", "1+2+4", "brow", "zzz"])
def test_filter_shows_matching_aus_only(addon: ModuleType, text: str) -> None:
    head = make_head(addon)
    blender = blender_module(addon)
    controls = blender.props.face_controls(head)
    bpy.context.scene.facs_rig.filter = text
    rec = draw_all(addon, context_for(head))["FACS_PT_controls"]
    catalogue = addon.core.catalogue

    def wanted(control: str) -> bool:
        au = catalogue.get_au(int(control[2:4]))
        words = text.replace("+", " ").split()
        return any(int(w) == au.number if w.isdigit()
                   else w in f"{au.label} {control} {au.panel_group}".lower() for w in words)

    expected = sorted(c for c in controls if wanted(c))
    assert sorted(_drawn_controls(rec, head)) == expected
    if not expected:
        assert "No AU matches 'zzz'" in rec.labels


def test_timeline_section_shows_the_report(addon: ModuleType, tmp_path: Path) -> None:
    head = make_head(addon)
    ctx = context_for(head)
    state = bpy.context.scene.facs_rig
    check = blender_module(addon).ops_timeline.check_timeline
    state.timeline_path = str(DEMO)
    rec = draw_all(addon, ctx)["FACS_PT_timeline"]
    assert "Not checked yet: press the reload button" in rec.labels
    assert rec.operator("facs.load_timeline", "").properties.get("filepath") in (None, str(DEMO))

    assert check(state, str(DEMO)) is None
    rec = draw_all(addon, ctx)["FACS_PT_timeline"]
    apply = rec.operator("facs.apply_timeline")
    assert apply.properties == {"filepath": str(DEMO), "mode": "LIVE"}
    assert rec.labels[0].startswith("demo: ")

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "facs-timeline", "version": 1, "events": [
        {"au": 12, "intensity": "Q", "onset": 1, "apex": 0.5, "offset": 2}, {"au": 999}]}))
    error = check(state, str(bad))
    assert error is not None
    rec = draw_all(addon, ctx)["FACS_PT_timeline"]
    problems = [str(p) for p in error.errors]
    shown = " ".join(rec.labels)
    assert len(problems) >= 3
    for problem in problems:  # every error reaches the panel (wrapped over several labels)
        assert problem.split(":")[0] in shown
    assert any(label.startswith("bad.json: ") for label in rec.labels)


def test_long_reports_are_cut_with_a_count(addon: ModuleType, tmp_path: Path) -> None:
    state = bpy.context.scene.facs_rig
    bad = tmp_path / "many.json"
    bad.write_text(json.dumps({"format": "facs-timeline", "version": 1,
                               "events": [{"au": 12} for _ in range(20)]}))
    error = blender_module(addon).ops_timeline.check_timeline(state, str(bad))
    limit = blender_module(addon).panel_common.REPORT_LIMIT
    rec = draw_all(addon, context_for(make_head(addon)))["FACS_PT_timeline"]
    assert f"... and {len(error.problems) - limit} more (all in the Info editor)" in rec.labels


def test_pinned_face_points_other_operators_at_it(addon: ModuleType) -> None:
    head = make_head(addon)
    other = plain_mesh("Other", active=False)
    bpy.context.scene.facs_rig.target = head
    recs = draw_all(addon, context_for(other))
    assert recs["FACS_PT_main"].labels[0].startswith(f"{head.name}: rigged")
    for idname in ("facs.build_rig", "facs.remove_rig"):
        assert recs["FACS_PT_avatar"].operator(idname).context["active_object"] == head
    for idname in ("facs.apply_timeline", "facs.clear_animation", "facs.export_timeline"):
        assert recs["FACS_PT_timeline"].operator(idname).context["active_object"] == head
    assert sorted(_drawn_controls(recs["FACS_PT_controls"], head)) == sorted(
        blender_module(addon).props.face_controls(head))


def test_expressions_and_import_sections_pass_the_panel_state(addon: ModuleType) -> None:
    head = make_head(addon)
    state = bpy.context.scene.facs_rig
    state.expression, state.intensity, state.code = "surprise", "D", "L12C+R12A"
    state.import_format, state.import_events, state.apply_mode = "openface", True, "BAKE"
    recs = draw_all(addon, context_for(head))
    expr = recs["FACS_PT_expressions"]
    pose = [op for op in expr.operators if op.idname == "facs.apply_expression"]
    assert [op.properties for op in pose] == [
        {"expression": "surprise", "intensity": "D", "replace": True},
        {"code": "L12C+R12A", "intensity": "D", "replace": True}]
    assert "= 1+2+5B+26" in expr.labels
    imp = recs["FACS_PT_import"].operator("facs.import_capture")
    assert imp.properties == {"format": "openface", "events": True, "min_confidence": pytest.approx(0.8),
                              "fps": 0.0, "mode": "BAKE"}


def test_avatar_section_adds_the_head_in_the_identity_its_fields_give(addon: ModuleType) -> None:
    """The identity fields sit before Add FACS Head, which gets their values; clicking it makes
    that person (or the seeded random one), and fields left at their defaults the default head."""
    prop = blender_module(addon).avatar.IDENTITY_PROP
    state = bpy.context.scene.facs_rig
    rec = draw_all(addon, context_for(None))["FACS_PT_avatar"]
    macros = ("gender", "age", "african", "asian", "caucasian", "muscle", "weight")
    fields = [*(f"identity_{name}" for name in macros), "identity_random", "identity_seed"]
    assert [p for p in rec.paths(state) if p.startswith("identity_")] == fields
    button = rec.operator("facs.add_default_head")
    assert button.properties["details"] == "" and button.properties["age"] == pytest.approx(25.0)
    assert click(button, studio=False) == {"FINISHED"}
    assert prop not in bpy.context.view_layer.objects.active  # the defaults: the default head

    state.identity_gender, state.identity_age = 0.0, 70.0
    state.identity_asian, state.identity_weight = 1.0, 0.8
    button = draw_all(addon, context_for(None))["FACS_PT_avatar"].operator("facs.add_default_head")
    assert click(button, studio=False) == {"FINISHED"}
    made = bpy.context.view_layer.objects.active
    assert made[prop] == "gender=0,age=70,african=0.3333,asian=1,caucasian=0.3333,weight=0.8"

    state.identity_random, state.identity_seed = True, 12
    button = draw_all(addon, context_for(None))["FACS_PT_avatar"].operator("facs.add_default_head")
    assert button.properties["details"] == "random:12"
    assert click(button, studio=False) == {"FINISHED"}
    random = addon.io.identity.parse_identity("random:12", addon.io.identity.default_head_details())
    assert bpy.context.view_layer.objects.active[prop] == random.text


def test_render_section_joins_the_output_folder(addon: ModuleType) -> None:
    head = make_head(addon, studio=True)
    state = bpy.context.scene.facs_rig
    state.render_folder, state.atlas_levels = "/tmp/out", "B,D"
    rec = draw_all(addon, context_for(head))["FACS_PT_render"]
    assert rec.operator("facs.render_still").properties == {"filepath": "/tmp/out/facs_still.png"}
    assert rec.operator("facs.render_atlas").properties == {"filepath": "/tmp/out/facs_atlas.png",
                                                            "levels": "B,D", "tile": 256}
    assert "The scene needs a camera to render from" not in rec.labels


def test_preferences_draw(addon: ModuleType) -> None:
    prefs = blender_module(addon).addon.preferences()
    rec = Recording()

    class Proxy:
        layout = Layout(rec)

        def __getattr__(self, name: str) -> object:
            return getattr(prefs, name)

    type(prefs).draw(Proxy(), context_for(None))
    assert {p for _, p, _ in rec.props} == {
        "intensity_scale", "ease", "user_presets_dir", "event_onset", "event_hold", "event_offset"}


def test_draw_with_a_panel_state_missing(addon: ModuleType) -> None:
    """While the add-on unregisters the scene property goes first: panels draw nothing, no error."""
    ctx = SimpleNamespace(**vars(context_for(None)))
    ctx.scene = SimpleNamespace(objects=bpy.context.scene.objects, frame_current=1, camera=None)
    for cls in blender_module(addon).CLASSES:
        if issubclass(cls, bpy.types.Panel):
            draw(cls, ctx)
