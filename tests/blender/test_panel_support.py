# SPDX-License-Identifier: GPL-3.0-or-later
"""Tools the panel and operator tests share: a layout stand-in that checks every call against
Blender's own UILayout and operator definitions, a context built from ``bpy.context`` values, and a
snapshot of everything an operator could change. The test at the end checks the stand-in itself."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import bpy
import pytest

LAYOUT = bpy.types.UILayout.bl_rna
SUBLAYOUTS = {"row", "column", "box", "split", "column_flow", "grid_flow"}
PROP_FUNCTIONS = {"prop", "prop_search", "prop_enum", "prop_menu_enum", "props_enum", "prop_tabs_enum"}


class LayoutError(AssertionError):
    """The panel drew something Blender would not accept: a typo in a name, path or icon."""


def operator_rna(idname: str) -> Any:
    """The registered operator's RNA (``facs.build_rig`` → ``FACS_OT_build_rig``), or LayoutError."""
    module, _, name = idname.partition(".")
    try:
        return getattr(getattr(bpy.ops, module), name).get_rna_type()
    except (KeyError, AttributeError):
        raise LayoutError(f"operator {idname!r} is not registered") from None


def _check_value(where: str, prop: Any, value: Any) -> None:
    kinds = {"STRING": str, "BOOLEAN": bool, "INT": int, "FLOAT": (int, float), "ENUM": str}
    expected = kinds.get(prop.type)
    wrong = expected is not None and not isinstance(value, expected)
    if wrong or (prop.type in ("INT", "FLOAT") and isinstance(value, bool)):
        raise LayoutError(f"{where}: {value!r} is not a {prop.type.lower()}")
    items = prop.enum_items.keys() if prop.type == "ENUM" else []
    if items and value not in items:  # dynamic enums list no items here
        raise LayoutError(f"{where}: {value!r} is not one of {list(items)}")


@dataclass
class OperatorButton:
    """What ``layout.operator()`` returns: setting a property checks it against the operator."""

    idname: str
    text: str
    context: dict[str, Any]
    properties: dict[str, Any] = field(default_factory=dict)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in {"idname", "text", "context", "properties"}:
            object.__setattr__(self, name, value)
            return
        props = operator_rna(self.idname).properties
        if name not in props or name == "rna_type":
            raise LayoutError(f"operator {self.idname!r} has no property {name!r}")
        _check_value(f"{self.idname}.{name}", props[name], value)
        self.properties[name] = value


@dataclass
class Recording:
    """Everything a draw produced, in order."""

    props: list[tuple[Any, str, dict[str, Any]]] = field(default_factory=list)
    operators: list[OperatorButton] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    menus: list[str] = field(default_factory=list)
    log: list[tuple[str, Any]] = field(default_factory=list)

    def operator(self, idname: str, text: str | None = None) -> OperatorButton:
        found = [op for op in self.operators if op.idname == idname and (text is None or op.text == text)]
        assert found, f"no {idname} button{f' {text!r}' if text else ''} drawn"
        return found[0]

    def paths(self, data: Any = None) -> list[str]:
        return [path for owner, path, _ in self.props if data is None or owner == data]


class Layout:
    """A UILayout stand-in: only functions, keywords, attributes and icons Blender's UILayout has.

    ``prop`` checks that the path resolves on its data, ``operator`` that the operator is
    registered, so a typo anywhere in a draw function raises :class:`LayoutError`.
    """

    def __init__(self, rec: Recording, context: dict[str, Any] | None = None) -> None:
        object.__setattr__(self, "_rec", rec)
        object.__setattr__(self, "_context", dict(context or {}))

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in LAYOUT.properties:
            raise LayoutError(f"UILayout has no attribute {name!r}")
        self._rec.log.append(("set", (name, value)))

    def __getattr__(self, name: str) -> Any:
        if name not in LAYOUT.functions:
            raise LayoutError(f"UILayout has no function {name!r}")
        params = [p for p in LAYOUT.functions[name].parameters if not p.is_output]
        names = [p.identifier for p in params]

        def call(*args: Any, **kwargs: Any) -> Any:
            if len(args) > len(names):
                raise LayoutError(f"{name}() takes at most {len(names)} positional arguments")
            bound = dict(zip(names, args, strict=False))
            for key in kwargs:
                if key not in names:
                    raise LayoutError(f"{name}() has no keyword {key!r} (it has {names})")
            bound |= kwargs
            missing = [p.identifier for p in params if p.is_required and p.identifier not in bound]
            if missing:
                raise LayoutError(f"{name}() is missing {missing}")
            if "icon" in bound:
                icons = LAYOUT.functions[name].parameters["icon"].enum_items.keys()
                if bound["icon"] not in icons:
                    raise LayoutError(f"{name}(): unknown icon {bound['icon']!r}")
            return self._record(name, bound)

        return call

    def _record(self, name: str, args: dict[str, Any]) -> Any:
        self._rec.log.append((name, args))
        if name in SUBLAYOUTS:
            return Layout(self._rec, self._context)
        if name == "panel":
            return Layout(self._rec, self._context), Layout(self._rec, self._context)
        if name == "operator":
            operator_rna(args["operator"])
            button = OperatorButton(args["operator"], args.get("text", ""), dict(self._context))
            self._rec.operators.append(button)
            return button
        checks = {"context_pointer_set": self._pointer, "menu": self._menu, "label": self._label}
        check = self._prop if name in PROP_FUNCTIONS else checks.get(name)
        if check is not None:
            check(args)
        return None

    def _pointer(self, args: dict[str, Any]) -> None:
        self._context[args["name"]] = args["data"]

    def _menu(self, args: dict[str, Any]) -> None:
        menu = getattr(bpy.types, args["menu"], None)
        if menu is None or not getattr(menu, "is_registered", False):
            raise LayoutError(f"menu {args['menu']!r} is not registered")
        self._rec.menus.append(args["menu"])

    def _label(self, args: dict[str, Any]) -> None:
        self._rec.labels.append(args.get("text", ""))

    def _prop(self, args: dict[str, Any]) -> None:
        data, path = args["data"], args["property"]
        try:
            data.path_resolve(path)
        except (ValueError, AttributeError, TypeError) as exc:
            raise LayoutError(f"prop({data!r}, {path!r}) does not resolve: {exc}") from None
        if not path.startswith("[") and path not in data.bl_rna.properties:
            raise LayoutError(f"{data!r} has no property {path!r}")
        self._rec.props.append((data, path, args))


def blender_module(addon: ModuleType) -> ModuleType:
    """The add-on's live ``blender`` package (enable/disable cycles re-import it)."""
    return importlib.import_module(f"{addon.__name__}.blender")


def context_for(obj: bpy.types.Object | None = None) -> SimpleNamespace:
    """A context to draw with: the real scene, preferences and window manager, ``obj`` active."""
    ctx = bpy.context
    return SimpleNamespace(scene=ctx.scene, preferences=ctx.preferences, window_manager=ctx.window_manager,
                           active_object=obj, object=obj, mode="OBJECT", view_layer=ctx.view_layer)


def draw(panel: type, context: Any) -> Recording | None:
    """Draw one panel with the stand-in; None when its poll says it is hidden."""
    if hasattr(panel, "poll") and not panel.poll(context):
        return None
    rec = Recording()
    panel.draw(SimpleNamespace(layout=Layout(rec)), context)
    return rec


def draw_all(addon: ModuleType, context: Any) -> dict[str, Recording]:
    """Every registered panel and menu of the add-on, drawn."""
    out = {}
    for cls in blender_module(addon).CLASSES:
        if issubclass(cls, bpy.types.Panel | bpy.types.Menu):
            assert cls.is_registered, cls.__name__
            rec = draw(cls, context)
            if rec is not None:
                out[cls.bl_idname] = rec
    return out


def click(button: OperatorButton, **extra: Any) -> set[str]:
    """Run a drawn button the way Blender does: its properties, its layout's context pointers."""
    module, _, name = button.idname.partition(".")
    op = getattr(getattr(bpy.ops, module), name)
    with bpy.context.temp_override(**button.context):
        return op("EXEC_DEFAULT", **(button.properties | extra))


def plain_mesh(name: str = "Cube", *, active: bool = True) -> bpy.types.Object:
    """An empty mesh object in the scene: no shape keys, no rig (active unless told otherwise)."""
    obj = bpy.data.objects.new(name, bpy.data.meshes.new(name))
    bpy.context.scene.collection.objects.link(obj)
    if active:
        bpy.context.view_layer.objects.active = obj
    return obj


def make_head(addon: ModuleType, *, rigged: bool = True, studio: bool = False) -> bpy.types.Object:
    """The default head, active and selected; rigged with the best preset unless told otherwise."""
    blender = blender_module(addon)
    made = blender.avatar.create_default_avatar(studio=studio)
    if rigged:
        blender.rig.build_rig(made.mesh, "auto")
    bpy.context.view_layer.objects.active = made.mesh
    made.mesh.select_set(True)
    return made.mesh


def _value(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "to_list"):
        return value.to_list()
    if isinstance(value, bpy.types.ID):
        return value.name
    return value


def _curves(addon: ModuleType, id_data: bpy.types.ID | None) -> dict[str, Any]:
    if id_data is None or id_data.animation_data is None:
        return {}
    anim = id_data.animation_data
    bag = blender_module(addon).anim_compat.container(id_data)
    curves = {f"{fc.data_path}[{fc.array_index}]": [tuple(k.co) for k in fc.keyframe_points]
              for fc in (bag.fcurves if bag is not None else [])}
    drivers = {f"{fc.data_path}[{fc.array_index}]": (fc.driver.expression, fc.mute) for fc in anim.drivers}
    return {"action": anim.action.name if anim.action else None, "curves": curves, "drivers": drivers}


def panel_state(scene: bpy.types.Scene) -> dict[str, Any]:
    state = scene.facs_rig
    out: dict[str, Any] = {}
    for prop in state.bl_rna.properties:
        key = prop.identifier
        if key == "rna_type":
            continue
        value = getattr(state, key)
        if prop.type == "COLLECTION":
            value = [(line.severity, line.text) for line in value]
        out[key] = _value(value)
    return out


def snapshot(addon: ModuleType, *, panel: bool = True) -> dict[str, Any]:
    """Everything the panel's operators may touch: objects, their custom properties, shape key
    values, curves and drivers, actions, the scene's frame settings and (optionally) panel state."""
    scene = bpy.context.scene
    objects = {}
    for obj in bpy.data.objects:
        entry: dict[str, Any] = {"props": {k: _value(obj[k]) for k in list(obj.keys())},
                                 "anim": _curves(addon, obj)}
        key = obj.data.shape_keys if obj.type == "MESH" else None
        if key is not None:
            entry["shapes"] = {kb.name: round(kb.value, 6) for kb in key.key_blocks}
            entry["key_anim"] = _curves(addon, key)
        objects[obj.name] = entry
    out = {"objects": objects, "actions": sorted(a.name for a in bpy.data.actions),
           "scene": (scene.frame_start, scene.frame_end, scene.frame_current, scene.render.fps,
                     scene.render.fps_base)}
    if panel:
        out["panel"] = panel_state(scene)
    return out


def refused_unchanged(addon: ModuleType, operator: Callable[..., Any], path: Path, content: str | None,
                      message: str, *, panel: bool = True, **props: Any) -> None:
    """Run a file ``operator`` on ``path`` holding ``content`` (None: no file there): it must fail
    with ``message`` and leave everything :func:`snapshot` sees as it was."""
    if content is not None:
        path.write_text(content)
    before = snapshot(addon, panel=panel)
    with pytest.raises(RuntimeError, match=message):
        operator(**({"filepath": str(path)} | props))
    assert snapshot(addon, panel=panel) == before


def test_stand_in_rejects_typos(addon: ModuleType) -> None:
    """The checker itself: each kind of typo a panel could make is caught."""
    state = bpy.context.scene.facs_rig
    layout = Layout(Recording())
    with pytest.raises(LayoutError, match="filtr"):
        layout.prop(state, "filtr")
    with pytest.raises(LayoutError, match="not registered"):
        layout.operator("facs.buld_rig")
    with pytest.raises(LayoutError, match="no property"):
        layout.operator("facs.build_rig").presett = "auto"
    with pytest.raises(LayoutError, match="not one of"):
        layout.operator("facs.apply_timeline").mode = "LIVELY"
    with pytest.raises(LayoutError, match="no function"):
        layout.lable(text="x")
    with pytest.raises(LayoutError, match="no keyword"):
        layout.label(txt="x")
    with pytest.raises(LayoutError, match="unknown icon"):
        layout.label(text="x", icon="NO_SUCH_ICON")
    with pytest.raises(LayoutError, match="no attribute"):
        layout.use_property_splt = True
    cube = bpy.data.objects.new("Cube", bpy.data.meshes.new("Cube"))
    with pytest.raises(LayoutError, match="does not resolve"):
        layout.prop(cube, '["AU12_L"]')
