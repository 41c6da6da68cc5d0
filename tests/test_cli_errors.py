"""The command-line programs against the mistakes a new user makes: one table, one case per line.

A case is (program, argv, exit status, a regex, files that must be untouched).  For a failing case the
regex must match the one and only line on stderr (argparse's usage, a warning or a traceback would add
lines); for a succeeding one it must match stdout.  Every listed file must have the same bytes and
modification time afterwards; a path written "!path" must not exist afterwards (no half-made folder).

Placeholders in argv and in the file lists:
  {run}      a finished micro StyleGAN run (kimg 0.016, checkpoints at 8 and 16 images), copied per case
  {stopped}  the same run stopped at 8 of its 16 images (its last checkpoint, no final files)
  {ring}     a finished vanilla GAN on the 2-D ring, {mlp} one on 8x8 toy faces
  {tmp}      the case's own empty folder; {file} a text file in it; {notes} a folder holding notes.txt;
  {corrupt}  a .npz that is not a checkpoint; {badimages} a folder with one unreadable .png;
  {locked}   a folder nobody can write in, {lockedrun} a copy of {stopped} that nobody can write in
             (the cases using them are skipped where no such folder can be made)

Most cases call main() in-process (fast); SUBPROCESS runs a few through `python -m`, where the exit
path itself (run_main in __main__) is what is tested, and a Ctrl-C test sends SIGINT to a real run.
Adding a case is adding a line.
"""
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from stylegan_np import backend
from stylegan_np.cli import run_main

MICRO = ["--resolution", "8", "--batch", "4", "--z-dim", "8", "--w-dim", "8", "--fmap-base", "32",
         "--fmap-max", "8", "--mapping-layers", "2", "--swd-images", "16", "--quiet"]


def new(*flags, out="{tmp}/new"):
    """A new run's argv: micro sizes and a 4-image run first, so that a case whose check regresses
    trains a second, not the preset's 45 kimg; the case's own flags come later and win."""
    return MICRO + ["--kimg", "0.004"] + list(flags) + ["--out", out]


RUN_FILES = ["{run}/config.json", "{run}/log.jsonl", "{run}/G_ema-final.npz", "{run}/fakes-final.png",
             "{run}/checkpoints/ckpt-000000016.npz"]
NOT_MADE = ["!{tmp}/new"]

CASES = [
    # --- train: bad flags, refused where they are parsed --------------------------------------------------
    ("train", new("--batch", "0"), 2, r"argument --batch: must be 1 or more", NOT_MADE),
    ("train", new("--batch", "-1"), 2, r"argument --batch: must be 1 or more", NOT_MADE),
    ("train", new("--batch", "1.5"), 2, r"argument --batch: expected a whole number", NOT_MADE),
    ("train", new("--kimg", "nan"), 2, r"argument --kimg: expected a finite number", NOT_MADE),
    ("train", new("--kimg", "inf"), 2, r"argument --kimg: expected a finite number", NOT_MADE),
    ("train", new("--kimg", "0"), 2, r"argument --kimg: must be more than 0", NOT_MADE),
    ("train", new("--kimg", "-1"), 2, r"argument --kimg: must be more than 0", NOT_MADE),
    ("train", new("--kimg", "abc"), 2, r"argument --kimg: expected a number", NOT_MADE),
    ("train", new("--kimg", "0.0001"), 2, r"argument --kimg: must be at least 0\.001 \(one image\)", NOT_MADE),
    ("train", new("--z-dim", "0"), 2, r"argument --z-dim: must be 1 or more", NOT_MADE),
    ("train", new("--w-dim", "0"), 2, r"argument --w-dim: must be 1 or more", NOT_MADE),
    ("train", new("--fmap-base", "0"), 2, r"argument --fmap-base", NOT_MADE),
    ("train", new("--mapping-layers", "-2"), 2, r"argument --mapping-layers", NOT_MADE),
    ("train", new("--lr", "nan"), 2, r"argument --lr: expected a finite number", NOT_MADE),
    ("train", new("--lr", "-0.001"), 2, r"argument --lr: must be more than 0", NOT_MADE),
    ("train", new("--r1-gamma", "-1"), 2, r"argument --r1-gamma: must be 0 or more", NOT_MADE),
    ("train", new("--r1-interval", "0"), 2, r"argument --r1-interval: must be 1 or more", NOT_MADE),
    ("train", new("--gp-lambda", "-1"), 2, r"argument --gp-lambda", NOT_MADE),
    ("train", new("--mixing-prob", "2"), 2, r"argument --mixing-prob: must lie between 0 and 1", NOT_MADE),
    ("train", new("--ema-kimg", "-1"), 2, r"argument --ema-kimg: must be 0 or more", NOT_MADE),
    ("train", new("--phase-kimg", "0"), 2, r"argument --phase-kimg: must be more than 0", NOT_MADE),
    ("train", new("--swd-images", "-5"), 2, r"argument --swd-images: must be 0 or more", NOT_MADE),
    ("train", new("--swd-images", "100000"), 2, r"argument --swd-images: at most 8192 \(SWD needs about", NOT_MADE),
    ("train", new("--seed", "-1"), 2, r"argument --seed: must be 0 or more", NOT_MADE),
    ("train", new("--threads", "0"), 2, r"argument --threads: must be 1 or more", NOT_MADE),
    ("train", new("--progressive", "maybe"), 2, r"argument --progressive: expected on/off", NOT_MADE),
    ("train", new("--mirror", "sometimes"), 2, r"argument --mirror: expected on/off", NOT_MADE),
    ("train", new("--model", "biggan"), 2, r"argument --model: invalid choice", NOT_MADE),
    ("train", new("--preset", "huge"), 2, r"argument --preset: invalid choice", NOT_MADE),
    ("train", new("--backend", "tpu"), 2, r"argument --backend: invalid choice", NOT_MADE),
    ("train", new("--no-such-flag"), 2, r"unrecognized arguments: --no-such-flag", NOT_MADE),
    ("train", new("--resolution", "48"), 2, r"power of two", NOT_MADE),
    ("train", new("--resolution", "2"), 2, r"power of two", NOT_MADE),
    ("train", new("--resolution", "1024"), 2, r"power of two between 4 and 128", NOT_MADE),
    ("train", new("--resolution", "0"), 2, r"argument --resolution: must be 1 or more", NOT_MADE),
    # --- train: settings that do not fit together --------------------------------------------------------
    ("train", new("--batch", "6"), 2, r"--batch 6: .*groups of 4.*such as 4", NOT_MADE),
    ("train", new("--model", "progan", "--batch", "10"), 2, r"multiple of 4", NOT_MADE),
    ("train", new("--use-mapping", "off", "--w-dim", "16"), 2, r"--z-dim and --w-dim must be equal",
     NOT_MADE),
    ("train", ["--model", "gan", "--data", "ring", "--resolution", "64", "--kimg", "0.128", "--quiet", "--out",
               "{tmp}/ring"], 0, r"training gan on ring at 2-D points, batch 128", []),
    ("train", new("--model", "progan", "--data", "ring"), 2, r"--data ring is 2-D points: .*--model gan", NOT_MADE),
    ("train", new("--data", "grid"), 2, r"--model gan", NOT_MADE),
    # --- train: data that is not there or not readable ---------------------------------------------------
    ("train", new("--data", "/no/such/folder"), 2, r"no data set named '/no/such/folder'", NOT_MADE),
    ("train", new("--data", "toyfacez"), 2, r"no data set named 'toyfacez'.*use one of", NOT_MADE),
    ("train", new("--data", "{notes}/notes.txt"), 2, r"no image folder at", NOT_MADE),
    ("train", new("--data", "{tmp}/empty"), 2, r"no \.png/\.jpg/\.jpeg images in", NOT_MADE),
    ("train", new("--data", "{badimages}"), 2, r"none of the 1 images in .* could be read", NOT_MADE),
    ("train", new("--fashion-mnist-path", "/nope"), 2, r"--fashion-mnist-path is read with --data fashion-mnist only",
     NOT_MADE),
    ("train", new("--data", "fashion-mnist", "--fashion-mnist-path", "/nope"), 2, r"no Fashion-MNIST directory at /nope",
     NOT_MADE),
    # --- train: the run folder (nothing lost) --------------------------------------------------------------
    ("train", new(out="{run}"), 2,
     r"--out .*run already holds a run, which is never overwritten: continue it with --resume", RUN_FILES),
    ("train", new(out="{notes}"), 2, r"already exists and is not empty",
     ["{notes}/notes.txt"]),
    ("train", new(out="{file}"), 2, r"--out .*file\.txt is a file, not a folder",
     ["{file}"]),
    ("train", new(out="{file}/run"), 2, r"cannot be made: .*file\.txt is a file", ["{file}"]),
    ("train", new(out="{locked}/run"), 2, r"cannot write in .*locked", ["!{locked}/run"]),
    ("train", new(out="{tmp}/empty"), 0, r"done: .*\"kimg\": 0\.004", []),
    ("train", new(out="~/runs/x"), 0, r"into .*/home/runs/x\n", ["!{tmp}/~"]),
    # --- train --resume: the run's own settings and length ------------------------------------------------
    ("train", ["--resume", "/no/such/run"], 2, r"--resume /no/such/run: no such run folder or checkpoint file", []),
    ("train", ["--resume", "{tmp}/empty"], 2, r"has no checkpoints/ckpt-\*\.npz", []),
    ("train", ["--resume", "{corrupt}"], 2, r"is not a readable stylegan_np checkpoint", ["{corrupt}"]),
    ("train", ["--resume", "{run}/G_ema-final.npz"], 2, r"is a generator export .*not a training checkpoint",
     RUN_FILES),
    ("train", ["--resume", "{run}"], 2, r"has already trained 0\.016 of its 0\.016 kimg: give a larger --kimg",
     RUN_FILES),
    ("train", ["--resume", "{run}", "--kimg", "0.008"], 2, r"already trained 0\.016 of its 0\.008", RUN_FILES),
    ("train", ["--resume", "{run}", "--kimg", "0.024", "--resolution", "16"], 2,
     r"--resolution 16 \(the run has 8\) cannot change; only --kimg", RUN_FILES),
    ("train", ["--resume", "{run}", "--kimg", "0.024", "--model", "dcgan", "--seed", "3"], 2,
     r"--model dcgan \(the run has stylegan\), --seed 3 \(the run has 0\) cannot change", RUN_FILES),
    ("train", ["--resume", "{run}", "--kimg", "0.024", "--batch", "0"], 2, r"argument --batch: must be 1 or more",
     RUN_FILES),
    ("train", ["--resume", "{run}/checkpoints/ckpt-000000008.npz", "--kimg", "0.024"], 2,
     r"has a newer checkpoint \(ckpt-000000016\.npz\), so continue from this one into a new folder with --out",
     RUN_FILES),
    ("train", ["--resume", "{run}", "--kimg", "0.024", "--out", "{run}"], 0, r"done: .*\"kimg\": 0\.024", []),
    ("train", ["--resume", "{run}", "--kimg", "0.024", "--out", "{notes}"], 2, r"already exists and is not empty",
     RUN_FILES + ["{notes}/notes.txt"]),
    ("train", ["--resume", "{lockedrun}"], 2, r"cannot write in .*lockedrun .*continue into a new folder with --out",
     ["{lockedrun}/config.json", "{lockedrun}/log.jsonl"]),
    ("train", ["--resume", "{stopped}", "--quiet"], 0, r"done: \{\"kimg\": 0\.016", []),
    ("train", ["--resume", "{stopped}", "--quiet", "--lr", "0.001"], 0, r"done: \{\"kimg\": 0\.016", []),
    ("train", ["--resume", "{stopped}/checkpoints", "--quiet"], 0, r"done: \{\"kimg\": 0\.016", []),
    ("generate", ["{stopped}/checkpoints", "--what", "images", "--seeds", "0"], 0, r"wrote .*images-psi1\.png", []),
    ("train", ["--resume", "{run}/checkpoints/ckpt-000000008.npz", "--out", "{tmp}/branch", "--quiet"], 0,
     r"into .*branch", RUN_FILES),
    # --- generate ----------------------------------------------------------------------------------------
    ("generate", ["/no/such/run"], 2, r"no checkpoint at /no/such/run", []),
    ("generate", ["{tmp}/empty"], 2, r"generate: the run folder .*has no checkpoints", ["!{tmp}/empty/generated"]),
    ("generate", ["{corrupt}"], 2, r"is not a readable stylegan_np checkpoint", ["{corrupt}"]),
    ("generate", ["{run}/config.json"], 2, r"config\.json is not a readable stylegan_np checkpoint .*give a run folder",
     RUN_FILES),
    ("generate", ["{run}", "--what", "portraits"], 2, r"--what portraits: choose from images", []),
    ("generate", ["{run}", "--seeds", "3-1"], 2, r"--seeds '3-1': use numbers and ranges", ["!{run}/generated"]),
    ("generate", ["{run}", "--seeds", "x"], 2, r"--seeds 'x'", ["!{run}/generated"]),
    ("generate", ["{run}", "--seeds", "-3"], 2, r"--seeds '-3'", ["!{run}/generated"]),
    ("generate", ["{run}", "--interp", "0"], 2, r"--interp needs exactly two seeds", ["!{run}/generated"]),
    ("generate", ["{run}", "--psi", "nan"], 2, r"argument --psi: expected a finite number", ["!{run}/generated"]),
    ("generate", ["{run}", "--psi", "inf"], 2, r"argument --psi: expected a finite number", ["!{run}/generated"]),
    ("generate", ["{run}", "--steps", "0"], 2, r"argument --steps: must be 1 or more", ["!{run}/generated"]),
    ("generate", ["{run}", "--steps", "1"], 2, r"--steps 1: an interpolation needs 2 frames or more",
     ["!{run}/generated"]),
    ("generate", ["{run}", "--cutoff", "0"], 2, r"argument --cutoff: must be 1 or more", []),
    ("generate", ["{run}", "--noise-seed", "-1"], 2, r"argument --noise-seed: must be 0 or more", []),
    ("generate", ["{run}", "--backend", "tpu"], 2, r"argument --backend: invalid choice", []),
    ("generate", ["{run}", "--what", "mixing", "--mix-rows", "0-2000"], 2,
     r"--mix-rows/--mix-cols: a grid of 2002 x 6 images at 8x8 is too large", ["!{run}/generated"]),
    ("generate", ["{run}", "--what", "interp", "--steps", "5000"], 2, r"--steps: a grid of 1 x 5000 images",
     ["!{run}/generated"]),
    ("generate", ["{run}", "--out", "{file}"], 2, r"--out .*file\.txt is a file, not a folder", ["{file}"]),
    ("generate", ["{run}", "--out", "{file}/figures"], 2, r"cannot make --out .*file\.txt/figures", ["{file}"]),
    ("generate", ["{mlp}", "--what", "mixing"], 2, r"only --what images applies to a gan checkpoint", []),
    ("generate", ["{run}", "--what", "images", "--seeds", "0-3", "--psi", "0.5"], 0, r"wrote .*images-psi0\.5\.png",
     RUN_FILES),
    ("generate", ["{run}/checkpoints/ckpt-000000008.npz", "--what", "images", "--seeds", "0-3"], 0,
     r"wrote .*checkpoints/generated/images-psi1\.png", RUN_FILES),
    ("generate", ["{run}", "--what", "images", "--seeds", "0-899", "--out", "{tmp}/many", "--quiet"], 0,
     r"wrote 900 images, one per seed .* to .*many/images-psi1", []),
    ("generate", ["{ring}"], 0, r"wrote .*samples\.png: \d of 8 modes covered", []),
    ("generate", ["{mlp}", "--seeds", "0-3"], 0, r"wrote .*images-psi1\.png", []),
    ("generate", ["{run}", "--what", "Images,", "--seeds", "0-3"], 0, r"wrote .*images-psi1\.png", []),
    ("generate", ["{run}", "--what", "images", "--seeds", "0", "--out", "~/figures"], 0, r"wrote .*/home/figures/",
     ["!{tmp}/~"]),
    # --- bench ---------------------------------------------------------------------------------------------
    ("bench", ["--batch", "0"], 2, r"argument --batch: must be 1 or more", []),
    ("bench", ["--iters", "0"], 2, r"argument --iters: must be 1 or more", []),
    ("bench", ["--warmup", "-1"], 2, r"argument --warmup: must be 0 or more", []),
    ("bench", ["--res", "12"], 2, r"power of two between 4 and 128, got 12", []),
    ("bench", ["--res", "0"], 2, r"argument --res: must be 1 or more", []),
    ("bench", ["--batch", "6"], 2, r"--batch 6: .*groups of 4", []),
    ("bench", ["--r1", "nan"], 2, r"argument --r1: expected a finite number", []),
    ("bench", ["--threads", "0"], 2, r"argument --threads: must be 1 or more", []),
    ("bench", ["--backend", "tpu"], 2, r"argument --backend: invalid choice", []),
    ("bench", ["--res", "8", "--batch", "4", "--iters", "1", "--warmup", "0", "--threads", "1"], 0,
     r"\"threads\": 1, \"transform_threads\": 1", []),
    # --- assignments (its own argparse; the UserErrors it raises) -------------------------------------------
    ("assignments", ["build", "{tmp}/student", "--chapters", "x"], 2, r"--chapters 'x'", []),
    ("assignments", ["build", "{tmp}/student", "--tasks", "no_such_task"], 2, r"unknown task\(s\) no_such_task", []),
]

# Cases also run as `python -m stylegan_np.<program>`, where the exit path itself is under test.
SUBPROCESS = [
    ("train", new("--batch", "0"), 2, r"argument --batch: must be 1 or more", NOT_MADE),
    ("train", new(out="{run}"), 2, r"already holds a run", RUN_FILES),
    ("train", ["--resume", "{run}/G_ema-final.npz"], 2, r"is a generator export", RUN_FILES),
    ("generate", ["{ring}"], 0, r"modes covered", []),
    ("generate", ["{run}", "--steps", "0"], 2, r"argument --steps", []),
    ("bench", ["--iters", "0"], 2, r"argument --iters", []),
]


# --- the fixtures behind the placeholders --------------------------------------------------------------

def _train(argv):
    from stylegan_np.train import main
    assert main(argv) == 0


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The runs the cases read, trained once per module (they are copied before a case may touch them)."""
    root = tmp_path_factory.mktemp("runs")
    with backend.using("numpy"):
        _train(MICRO + ["--kimg", "0.016", "--snapshot-kimg", "0.008", "--checkpoint-kimg", "0.008",
                        "--out", str(root / "run")])
        _train(["--model", "gan", "--data", "ring", "--kimg", "0.256", "--quiet", "--out", str(root / "ring")])
        _train(["--model", "gan", "--resolution", "8", "--batch", "4", "--kimg", "0.008", "--swd-images", "0",
                "--quiet", "--out", str(root / "mlp")])
    stopped = root / "stopped"
    shutil.copytree(root / "run", stopped)
    for name in ("checkpoints/ckpt-000000016.npz", "G_ema-final.npz", "fakes-final.png"):
        os.remove(stopped / name)
    return root


def _locked_folder(path, copy_of=None):
    """A folder (a copy of `copy_of`, else empty) in which creating a file fails: read-only permissions
    where we are not root, else the immutable flag.  None where neither works (the case is skipped)."""
    if copy_of:
        shutil.copytree(copy_of, path)
    else:
        os.makedirs(path)
    os.chmod(path, 0o555)
    if not _writable(path):
        return lambda: os.chmod(path, 0o755)
    os.chmod(path, 0o755)
    if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0:
        if not _writable(path):
            return lambda: subprocess.run(["chattr", "-i", str(path)], check=True)
        subprocess.run(["chattr", "-i", str(path)], check=True)
    return None


def _writable(path):
    try:
        with open(os.path.join(path, ".probe"), "w"):
            pass
    except OSError:
        return False
    os.remove(os.path.join(path, ".probe"))
    return True


@pytest.fixture
def places(made, tmp_path, request, monkeypatch):
    """The placeholder values for one case, with fresh copies of the runs it names.  The case runs in
    its own folder, with HOME at {tmp}/home (so relative paths and ~ land there)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    text = " ".join(map(str, request.node.callspec.params["case"][1] + request.node.callspec.params["case"][4]))
    values = {"tmp": str(tmp_path)}
    for name in ("run", "stopped", "ring", "mlp"):
        if "{" + name + "}" in text:
            shutil.copytree(made / name, tmp_path / name)
            values[name] = str(tmp_path / name)
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.txt").write_text("not a folder\n")
    values["file"] = str(tmp_path / "file.txt")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "notes.txt").write_text("my notes\n")
    values["notes"] = str(tmp_path / "notes")
    np.savez(tmp_path / "corrupt.npz", weights=np.zeros(3))
    values["corrupt"] = str(tmp_path / "corrupt.npz")
    (tmp_path / "badimages").mkdir()
    (tmp_path / "badimages" / "face.png").write_bytes(b"\x89PNG\r\n\x1a\n but then no image at all")
    values["badimages"] = str(tmp_path / "badimages")
    unlock = None
    for name, copy_of in (("locked", None), ("lockedrun", made / "stopped")):
        if "{" + name + "}" in text:
            unlock = _locked_folder(tmp_path / name, copy_of)
            if unlock is None:
                pytest.skip("cannot make a folder that refuses writes here (root without chattr +i)")
            values[name] = str(tmp_path / name)
    yield values
    if unlock:
        unlock()


def _fill(items, values):
    return [str(item).format(**values) for item in items]


def _fingerprint(path):
    if not os.path.exists(path):
        return None
    if os.path.isdir(path):
        return ("folder", sorted(os.listdir(path)))
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest(), os.stat(path).st_mtime_ns


def _check_files(paths, before):
    for path in paths:
        if path.startswith("!"):
            assert not os.path.exists(path[1:]), f"{path[1:]} was created"
        else:
            assert _fingerprint(path) == before[path], f"{path} was changed"


def _one_line(stderr):
    """stderr without tqdm's progress bars (which redraw with carriage returns)."""
    lines = [line for line in stderr.replace("\r", "\n").splitlines() if line.strip()]
    return [line for line in lines if not re.search(r"\d+%\|", line)]


def _ids(cases):
    """program:argv without the micro sizes that start a new run's argv."""
    prefix = new()[:-2]
    return [f"{prog}:{' '.join(argv[len(prefix):] if argv[:len(prefix)] == prefix else argv)}"[:100]
            for prog, argv, *_ in cases]


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_cli_case(case, places, capsys):
    import importlib
    program, argv, status, pattern, files = case
    argv, files = _fill(argv, places), _fill(files, places)
    before = {path: _fingerprint(path) for path in files if not path.startswith("!")}
    main = importlib.import_module(f"stylegan_np.{program}").main
    with backend.using("numpy"):
        try:
            code = run_main(main, argv)
        except SystemExit as stop:
            code = stop.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert code == status, (out, err)
    if status == 0:
        assert re.search(pattern, out), out
    else:
        lines = _one_line(err)
        assert len(lines) == 1, lines
        assert lines[0].startswith("error: ") and re.search(pattern, lines[0]), lines[0]
    _check_files(files, before)


@pytest.mark.parametrize("case", SUBPROCESS, ids=_ids(SUBPROCESS))
def test_cli_case_as_a_program(case, places):
    program, argv, status, pattern, files = case
    argv, files = _fill(argv, places), _fill(files, places)
    before = {path: _fingerprint(path) for path in files if not path.startswith("!")}
    done = subprocess.run([sys.executable, "-m", f"stylegan_np.{program}"] + argv, capture_output=True, text=True,
                          env=dict(os.environ, OPENBLAS_NUM_THREADS="1"), timeout=120)
    assert "Traceback" not in done.stderr
    assert done.returncode == status, done.stderr
    if status == 0:
        assert re.search(pattern, done.stdout), done.stdout
    else:
        lines = _one_line(done.stderr)
        assert len(lines) == 1 and re.search(pattern, lines[0]), lines
    _check_files(files, before)


def _interrupt(argv, run, env):
    """Start `python -m stylegan_np.train argv`, SIGINT it once it has trained a little; (stdout, stderr, status)."""
    program = subprocess.Popen([sys.executable, "-m", "stylegan_np.train"] + argv, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + 60
    start = sum(1 for _ in open(run / "log.jsonl")) if (run / "log.jsonl").exists() else 0
    while time.time() < deadline:        # wait for a log line of this process (a snapshot or a tick)
        if (run / "log.jsonl").exists() and sum(1 for _ in open(run / "log.jsonl")) > start:
            break
        time.sleep(0.2)
    time.sleep(0.5)
    program.send_signal(signal.SIGINT)
    out, err = program.communicate(timeout=60)
    return out, err, program.returncode


def test_ctrl_c_saves_and_prints_a_resume_command_that_keeps_the_length(tmp_path):
    """SIGINT to a real run: exit 130 and one line naming the checkpoint and the command that resumes it.
    That command, run as printed, continues the run at its own length (it used to reset it to the
    preset's), and can itself be interrupted and resumed again."""
    run = tmp_path / "run"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    out, err, status = _interrupt(MICRO + ["--kimg", "20", "--snapshot-kimg", "0.008",
                                           "--out", str(run)], run, env)
    assert status == 130, err
    lines = _one_line(err)
    assert len(lines) == 1 and "Traceback" not in err, lines
    match = re.fullmatch(r"interrupted at ([\d.]+) kimg; saved (\S+)\. Resume with: python -m stylegan_np\.train (.*)",
                         lines[0])
    assert match and os.path.isfile(match.group(2)), lines[0]
    assert match.group(3).split() == ["--resume", str(run)]
    out, err, status = _interrupt(match.group(3).split() + ["--quiet"], run, env)
    assert status == 130, err
    assert re.search(r"training stylegan .* 20 kimg", out), out        # the run's own length, not 45
    assert re.search(r"resuming from .*ckpt-\d+\.npz at [\d.]+ kimg$", out.splitlines()[0]), out


def test_a_run_on_an_image_folder_resumes_from_another_directory(tmp_path, monkeypatch):
    """`--data pics` is recorded as an absolute path, so `--resume` works from anywhere (it used to look
    for ./pics wherever the resume was started)."""
    from PIL import Image
    from stylegan_np.train import main
    (tmp_path / "project" / "pics").mkdir(parents=True)
    for k in range(3):
        Image.fromarray(np.full((12, 12, 3), 40 * k, dtype=np.uint8)).save(tmp_path / "project" / "pics" / f"{k}.png")
    monkeypatch.chdir(tmp_path / "project")
    with backend.using("numpy"):
        assert main(new("--data", "pics", out="run")) == 0
        monkeypatch.chdir(tmp_path)
        assert main(["--resume", "project/run", "--kimg", "0.008", "--quiet"]) == 0
    import json
    assert json.load(open(tmp_path / "project" / "run" / "config.json"))["data"] == str(tmp_path / "project" / "pics")
