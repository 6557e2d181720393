"""The summaries benchmark refuses impossible sizes with argparse's one-line error, before loading any model."""

import pytest

from evals import bench_summaries


@pytest.mark.parametrize("args", [["--batch", "0"], ["--one-by-one", "-1"]])
def test_impossible_sizes_are_a_one_line_error(args, monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["bench_summaries", *args])
    with pytest.raises(SystemExit) as exited:
        bench_summaries.main()
    assert exited.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.endswith("--batch must be at least 1 and --one-by-one at least 0")
