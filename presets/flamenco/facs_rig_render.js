// SPDX-License-Identifier: GPL-3.0-or-later
//
// Flamenco job type "FACS Rig Render": renders facs_rig stimuli on a Flamenco farm.
//
// Install: copy this file into the Manager's `scripts/` folder (next to flamenco-manager) and
// restart it. Frames are split into chunks; each chunk is one task on one worker.
//
// Two ways to run a chunk, picked by the `runner` setting:
//   - "facs_rig": `{facs_python} -m facs_rig render --frames A-B ...`, the same CLI as on a
//     desktop. It can build the default avatar and play a timeline, and writes AU labels. Workers
//     need a Python with the `bpy` wheel and facs_rig importable; set the Manager variable
//     `facs_python` to it (two-way variables map paths per platform).
//   - "blender": plain `blender -b FILE --render-frame A..B` of a .blend rigged and animated by
//     facs_rig (python -m facs_rig animate). Workers need only Blender, no add-on: the rig is
//     custom properties and simple-expression drivers.
// When `video` is on and `fps` is set, a last task joins the frames into an H.264 MP4 with FFmpeg.

const JOB_TYPE = {
    label: "FACS Rig Render",
    description: "Render facs_rig avatars performing FACS timelines, in frame chunks",
    settings: [
        { key: "runner", type: "string", choices: ["facs_rig", "blender"], default: "facs_rig",
          description: "facs_rig: run the facs_rig CLI; blender: render the rigged .blend with Blender only" },
        { key: "python", type: "string", default: "{facs_python}", visible: "hidden",
          description: "Python that has bpy and facs_rig (runner facs_rig)" },
        { key: "blender_cmd", type: "string", default: "{blender}", visible: "hidden",
          description: "Blender executable (runner blender)" },
        { key: "avatar", type: "string", subtype: "file_path", default: "default",
          description: "'default' for the built-in FACS Head, or a .blend (rigged or not)" },
        { key: "blendfile", type: "string", visible: "web",
          description: "The submitted .blend (filled in by the Flamenco add-on): what runner blender renders" },
        { key: "timeline", type: "string", subtype: "file_path", default: "",
          description: "facs-timeline JSON to perform (runner facs_rig; empty: the .blend's own animation)" },
        { key: "frames", type: "string", required: true,
          eval: "f'{C.scene.frame_start}-{C.scene.frame_end}'", description: "Frames to render, e.g. 1-358" },
        { key: "chunk_size", type: "int32", default: 24, description: "Frames per task" },
        { key: "render_output", type: "string", subtype: "dir_path", required: true,
          description: "Folder for the PNG frames (frame_0001.png, ...)" },
        { key: "engine", type: "string", choices: ["", "workbench", "eevee", "cycles"], default: "",
          description: "Render engine, runner facs_rig (empty: the .blend's own, workbench for the default avatar)" },
        { key: "resolution", type: "string", default: "", description: "WIDTHxHEIGHT, e.g. 512x512 (empty: default)" },
        { key: "samples", type: "int32", default: 0, description: "Render samples (0: the scene's)" },
        { key: "labels", type: "bool", default: true,
          description: "Write AU ground truth per chunk (labels/frames_A-B.csv, OpenFace columns)" },
        { key: "video", type: "bool", default: true, description: "Join the frames into an MP4 at the end" },
        { key: "fps", type: "int32", eval: "C.scene.render.fps", description: "Frame rate of the MP4" },
    ],
};

// "1-10,20-30" -> [[1, 10], [20, 30]]; "12" -> [[12, 12]].
function parseFrames(frames) {
    const ranges = [];
    for (const part of String(frames).split(",")) {
        const text = part.trim();
        if (!text) continue;
        const match = /^(-?\d+)\s*(?:(?:-|\.\.)\s*(-?\d+))?$/.exec(text);
        if (!match) throw `frames "${frames}": "${text}" is not a frame or a range A-B`;
        const first = parseInt(match[1], 10);
        const last = match[2] === undefined ? first : parseInt(match[2], 10);
        if (last < first) throw `frames "${frames}": ${text} ends before it starts`;
        ranges.push([first, last]);
    }
    if (!ranges.length) throw `frames "${frames}": no frames`;
    return ranges;
}

// Split frame ranges into [first, last] chunks of at most `size` frames, in order.
function chunkFrames(frames, size) {
    const step = Math.max(1, Math.floor(size) || 1);
    const chunks = [];
    for (const [first, last] of parseFrames(frames)) {
        for (let start = first; start <= last; start += step) {
            chunks.push([start, Math.min(last, start + step - 1)]);
        }
    }
    return chunks;
}

function joinPath(dir, name) {
    return dir.replace(/[\\/]+$/, "") + "/" + name;
}

// The facs_rig CLI arguments that render one chunk (the same as on a desktop).
function facsRigArgs(settings, first, last) {
    const avatar = settings.avatar && settings.avatar !== "default" ? settings.avatar
        : (settings.timeline ? "default" : settings.blendfile);
    const args = ["-m", "facs_rig", "render", "--avatar", avatar,
                  "--frames", `${first}-${last}`, "-o", settings.render_output];
    if (settings.timeline) args.push("--timeline", settings.timeline);
    if (settings.engine) args.push("--engine", settings.engine);
    if (settings.resolution) args.push("--resolution", settings.resolution);
    if (settings.samples > 0) args.push("--samples", String(settings.samples));
    if (settings.labels) {
        args.push("--labels", joinPath(joinPath(settings.render_output, "labels"), `frames_${first}-${last}.csv`));
    }
    return args;
}

// Plain Blender arguments (after the .blend) that render one chunk with no add-on, with the
// .blend's own engine and resolution.
function blenderArgs(settings, first, last) {
    return ["--render-output", joinPath(settings.render_output, "frame_####"),
            "--render-format", "PNG", "--render-frame", `${first}..${last}`];
}

function compileJob(job) {
    const settings = job.settings;
    if (settings.runner === "blender" && !settings.blendfile) {
        throw "runner blender renders a .blend: set blendfile";
    }
    if (settings.runner === "blender" && settings.timeline) {
        throw "runner blender renders the .blend's own animation: apply the timeline with "
            + "'python -m facs_rig animate' first, or use runner facs_rig";
    }
    if (settings.runner === "blender" && (settings.engine || settings.resolution || settings.samples > 0)) {
        throw "runner blender renders with the .blend's own engine, resolution and samples: "
            + "set them in the .blend, or use runner facs_rig";
    }
    if (settings.runner !== "blender" && !settings.timeline && (!settings.avatar || settings.avatar === "default")
        && !settings.blendfile) {
        throw "the default avatar has no animation of its own: set timeline";
    }
    const renderTasks = [];
    for (const [first, last] of chunkFrames(settings.frames, settings.chunk_size)) {
        const task = author.Task(`render-${first}-${last}`, "blender");
        if (settings.runner === "blender") {
            task.addCommand(author.Command("blender-render", {
                exe: settings.blender_cmd,
                exeArgs: "",
                argsBefore: ["-b"],
                blendfile: settings.blendfile,
                args: blenderArgs(settings, first, last),
            }));
        } else {
            task.addCommand(author.Command("exec", {
                exe: settings.python,
                args: facsRigArgs(settings, first, last),
            }));
        }
        job.addTask(task);
        renderTasks.push(task);
    }
    if (settings.video && settings.fps) {
        const name = settings.timeline ? settings.timeline.replace(/^.*[\\/]/, "").replace(/\.json$/i, "")
            : "render";
        const videoTask = author.Task("create-video", "ffmpeg");
        videoTask.addCommand(author.Command("frames-to-video", {
            exe: "ffmpeg",
            fps: settings.fps,
            inputGlob: joinPath(settings.render_output, "frame_*.png"),
            outputFile: joinPath(settings.render_output, `${name}-${settings.frames}.mp4`),
            args: ["-c:v", "h264", "-crf", "18", "-pix_fmt", "yuv420p",
                   "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-r", String(settings.fps), "-y"],
        }));
        for (const task of renderTasks) videoTask.addDependency(task);
        job.addTask(videoTask);
    }
}

// Flamenco runs this file as a script; Node (the tests) loads it as a module.
if (typeof module !== "undefined") {
    module.exports = { JOB_TYPE, compileJob, chunkFrames, parseFrames, facsRigArgs, blenderArgs };
}
