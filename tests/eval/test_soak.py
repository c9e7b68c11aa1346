"""One minute of the soak (python -m eval.soak): 16 clients, bad requests, reports added and removed."""

import pytest

from eval.soak import main

pytestmark = pytest.mark.slow


def test_a_minute_of_load_with_report_changes_has_no_5xx_and_keeps_its_memory(capsys):
    code = main(["--minutes", "1", "--interval", "20"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "5xx or failed: 0" in printed and "report changes" in printed
