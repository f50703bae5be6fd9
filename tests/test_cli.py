"""The README's first command: ``python -m fastnn demo``."""
import subprocess
import sys


def test_demo_prints_accuracy_and_time_next_to_mlpclassifier():
    res = subprocess.run(
        [sys.executable, "-m", "fastnn", "demo", "--epochs", "20", "--hidden", "32"],
        capture_output=True, text=True, timeout=600,
    )
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    ours = next(line for line in lines if line.startswith("fastnn DNNClassifier"))
    theirs = next(line for line in lines if line.startswith("sklearn MLPClassifier"))
    for line in (ours, theirs):
        accuracy, seconds = map(float, line.split()[-2:])
        assert 0.5 < accuracy <= 1.0 and seconds > 0
    assert "Warning" not in res.stderr


def test_unknown_command_exits_non_zero():
    res = subprocess.run([sys.executable, "-m", "fastnn", "nonsense"], capture_output=True,
                         text=True)
    assert res.returncode != 0
    assert "invalid choice" in res.stderr
