"""bayesforge.mixtures.figures.k_selection: PSIS-LOO, WAIC, BIC and r̂ against K, the selected K and every K that
did not converge marked (hand-made tables: no fit)."""
import numpy as np
import pandas as pd
import pytest
from matplotlib.container import ErrorbarContainer

from bayesforge.mixtures.figures import plot_k_selection
from figure_support import assert_no_text_overlaps, by_gid


def k_table():
    return pd.DataFrame({"elpd_loo": [-900.0, -850.0, -849.0, -851.0], "se_loo": [20.0, 18.0, 18.0, 18.5],
                         "elpd_waic": [-899.0, -849.5, -848.0, -850.0], "se_waic": [20.0, 18.0, 18.0, 18.5],
                         "bic": [1810.0, 1725.0, 1740.0, 1760.0]}, index=pd.Index([4, 1, 2, 3], name="K"))


def test_k_selection_draws_elpd_and_bic_with_the_selected_k_marked(tmp_path):
    path = tmp_path / "k.png"
    figure = plot_k_selection(k_table(), selected_k=2, path=path)
    assert path.read_bytes()[:4] == b"\x89PNG"
    elpd_axes, bic_axes = figure.axes
    assert "higher is better" in elpd_axes.get_ylabel() and "lower is better" in bic_axes.get_ylabel()
    for axes in (elpd_axes, bic_axes):
        line, = by_gid(axes.lines, "selected-k")
        assert set(line.get_xdata()) == {2}
        assert list(axes.get_xticks()) == [1, 2, 3, 4]
        assert [t.get_text() for t in axes.get_xticklabels()] == ["1", "2", "3", "4"]
    errorbars = [c for c in elpd_axes.containers if isinstance(c, ErrorbarContainer)]
    assert len(errorbars) == 2 and all(c.has_yerr for c in errorbars)
    loo = errorbars[0]
    np.testing.assert_allclose(loo.lines[0].get_xdata(), [1, 2, 3, 4])  # sorted by K
    np.testing.assert_allclose(loo.lines[0].get_ydata(), [-850.0, -849.0, -851.0, -900.0])
    (_, low), (_, high) = loo.lines[2][0].get_segments()[0]  # the bar at K=1: elpd ± se
    assert (low, high) == pytest.approx((-868.0, -832.0))
    bic, = by_gid(bic_axes.lines, "bic")
    np.testing.assert_allclose(bic.get_ydata(), [1725.0, 1740.0, 1760.0, 1810.0])


def test_k_selection_errors():
    with pytest.raises(ValueError, match="missing the column.*se_waic, bic"):
        plot_k_selection(k_table().drop(columns=["se_waic", "bic"]), selected_k=2)
    with pytest.raises(ValueError, match="selected_k=7 is not a K in the table"):
        plot_k_selection(k_table(), selected_k=7)


# -- k_selection.png: the selected K and every K that did not converge ----------------------------------------
def k_table_with_trouble():
    """K=4 collapsed (elpd −50 000, r̂ 3e5), K=5 not converged with the best elpd; K=3 is selected."""
    table = pd.DataFrame({
        "elpd_loo": [-420.0, -300.0, -280.0, -5.0e4, -276.0, -279.5], "se_loo": [10, 9, 9, 3e3, 9, 9.5],
        "elpd_waic": [-419.0, -299.0, -279.0, -4.8e4, -275.0, -278.0], "se_waic": [10, 9, 9, 3e3, 9, 9.5],
        "bic": [850.0, 620.0, 600.0, 1.0e5, 590.0, 660.0], "max_r_hat": [1.001, 1.004, 1.01, 3.2e5, 2.55, 1.02],
    }, index=pd.Index([1, 2, 3, 4, 5, 6], name="K"))
    table["status"] = ["converged", "converged", "converged", "collapsed", "not converged", "converged"]
    table["converged"] = table["status"] == "converged"
    return table


def test_k_selection_marks_every_unconverged_k_and_never_draws_it_as_best():
    figure = plot_k_selection(k_table_with_trouble(), selected_k=3)
    elpd_axes, bic_axes, r_hat_axes = figure.axes
    for axes in (elpd_axes, bic_axes, r_hat_axes):
        assert {p.get_gid() for p in axes.patches} == {"flag-4", "flag-5"}
        line, = by_gid(axes.lines, "selected-k")
        assert set(line.get_xdata()) == {3}
    loo = [c for c in elpd_axes.containers if isinstance(c, ErrorbarContainer)][0]
    x, y = loo.lines[0].get_data()
    np.testing.assert_allclose(x[np.isfinite(y)], [1, 2, 3, 6])  # the curve skips K=4 and K=5
    bic, = by_gid(bic_axes.lines, "bic")
    assert np.nanargmin(bic.get_ydata()) == 2  # K=5's lower BIC is not on the curve
    hollow, = by_gid(bic_axes.lines, "bic-not-converged")
    assert hollow.get_markerfacecolor() == "white" and list(hollow.get_xdata()) == [5.0]
    assert "collapsed: K=4" in figure.get_suptitle() and "not converged: K=5" in figure.get_suptitle()
    legend_texts = [t.get_text() for t in figure.legends[0].get_texts()]
    assert any(t.startswith("collapsed") for t in legend_texts) and "not converged" in legend_texts
    assert_no_text_overlaps(figure)


def test_k_selection_axes_ignore_a_collapsed_ks_numbers():
    figure = plot_k_selection(k_table_with_trouble(), selected_k=3)
    elpd_axes, bic_axes, r_hat_axes = figure.axes
    low, high = elpd_axes.get_ylim()
    assert low > -500 and high < -250  # not stretched to −50 000
    assert bic_axes.get_ylim()[1] < 1000
    assert r_hat_axes.get_ylim()[1] < 3.5  # r̂ of 3.2e5 drawn at the edge, 2.55 still readable
    for axes, text in ((elpd_axes, "-50,000"), (bic_axes, "100,000"), (r_hat_axes, "320,000")):
        off_scale, = by_gid(axes.texts, "off-scale-4")
        assert off_scale.get_text() == text
        triangle = by_gid(axes.lines, next(line.get_gid() for line in axes.lines
                                           if (line.get_gid() or "").endswith("-off-scale")))[0]
        assert triangle.get_xdata()[0] == pytest.approx(4.0) and axes.get_ylim()[0] <= triangle.get_ydata()[0] <= axes.get_ylim()[1]
    limit, = by_gid(r_hat_axes.lines, "r-hat-limit")
    assert set(limit.get_ydata()) == {1.1}


@pytest.mark.parametrize("columns", [("status",), ("converged",)])
def test_k_selection_reads_status_or_converged_alone(columns):
    table = k_table_with_trouble()
    table = table.drop(columns=[c for c in ("status", "converged") if c not in columns])
    figure = plot_k_selection(table, selected_k=3)
    assert {p.get_gid() for p in figure.axes[0].patches} == {"flag-4", "flag-5"}


def test_k_selection_says_when_the_selected_k_did_not_converge():
    table = k_table_with_trouble()
    table["status"] = ["single chain"] * 6
    table["converged"] = False
    table["max_r_hat"] = np.nan
    figure = plot_k_selection(table, selected_k=3)
    assert "selected K=3 (single chain" in figure.get_suptitle()
    loo = [c for c in figure.axes[0].containers if isinstance(c, ErrorbarContainer)][0]
    assert not np.isfinite(loo.lines[0].get_ydata()).any()  # no K is drawn as the best curve
    assert by_gid(figure.axes[2].texts, "r-hat-missing")
    assert any("selected K=3 (single chain)" == t.get_text() for t in figure.legends[0].get_texts())
