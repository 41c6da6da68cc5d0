"""The catalogue of plausible wrong answers (chapters/wrong_answers.py), graded as students' copies.

For each mistake: a copy of the reference with only that edit, graded by the course's grader.  The
mistaken task must score zero, and its message must say what is wrong; every other task must keep
its points.  The grader builds each task's test copy from the reference with only that task's regions
taken from the student, so "keeps its points" holds when every other task's regions in the student's
copy are the reference's own (checked here for each mistake) and the reference earns every point
(test_reference_earns_every_point)."""
import importlib.util
import shutil
from pathlib import Path

import pytest

from stylegan_np import assignments, grading

ROOT = assignments.project_root()
SPEC = assignments.manifest(ROOT)
REGIONS = assignments.find_regions(ROOT)

_spec = importlib.util.spec_from_file_location("wrong_answers", ROOT / "chapters" / "wrong_answers.py")
catalogue = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(catalogue)
WRONG = catalogue.WRONG_ANSWERS

pytestmark = pytest.mark.slow


def apply(wrong, root=ROOT) -> str:
    """The text of wrong.path with the edits made inside `wrong.task`'s regions (each `find` once)."""
    text = (root / wrong.path).read_text()
    for find, replace in wrong.edits:
        lines = text.split("\n")
        regions = [r for r in assignments.regions_in_text(text, Path(wrong.path)) if r.task == wrong.task]
        bodies = ["\n".join(lines[r.begin + 1:r.end]) for r in regions]
        if find == catalogue.WHOLE_REGION:
            assert len(regions) == 1, f"{wrong.id}: WHOLE_REGION needs the task's only region in {wrong.path}"
            find = bodies[0]
        hits = [k for k, body in enumerate(bodies) for _ in range(body.count(find))]
        assert len(hits) == 1, f"{wrong.id}: {find!r} occurs {len(hits)} times in the task's regions, not once"
        r = regions[hits[0]]
        lines[r.begin + 1:r.end] = bodies[hits[0]].replace(find, replace).split("\n")
        text = "\n".join(lines)
    return text


def student_copy(tmp_path, wrong) -> Path:
    student = tmp_path / "student"
    shutil.copytree(ROOT / "stylegan_np", student / "stylegan_np", ignore=assignments.IGNORED)
    (student / wrong.path).write_text(apply(wrong))
    return student


def test_the_catalogue_is_large_and_covers_every_chapter():
    assert len(WRONG) >= 30, f"only {len(WRONG)} wrong answers"
    assert {w.task[:4] for w in WRONG} == {t[:4] for t in SPEC}, "every chapter needs wrong answers"
    assert len({w.id for w in WRONG}) == len(WRONG), "two entries share a task and description"
    assert all(w.task in SPEC for w in WRONG)


@pytest.mark.parametrize("wrong", WRONG, ids=[w.id for w in WRONG])
def test_a_wrong_answer_loses_its_task_with_a_helpful_message(wrong, tmp_path):
    student = student_copy(tmp_path, wrong)
    # every other task's code in this copy is the reference's: its grading copy is the reference
    for task in SPEC:
        if task != wrong.task:
            expected = grading.region_bodies(ROOT, task, REGIONS)
            assert grading.student_bodies(student, task, expected)[0] == expected, task
    result = grading.grade_task(student, ROOT, wrong.task, SPEC[wrong.task], regions=REGIONS)
    assert result.status == "failed" and result.points == 0, (result.status, result.summary())
    assert any(wrong.expect in m for m in result.messages), result.messages


def test_reference_earns_every_point(tmp_path):
    student = tmp_path / "reference-as-student"
    shutil.copytree(ROOT / "stylegan_np", student / "stylegan_np", ignore=assignments.IGNORED)
    report = grading.grade(student, task_names=list(SPEC), root=ROOT, jobs=2)
    failed = [(r.task, r.summary()) for r in report.results if r.status != "passed"]
    assert not failed, failed
    assert report.points == report.max_points == sum(s["points"] for s in SPEC.values())
