"""The figure for choosing K: PSIS-LOO and WAIC elpd, BIC and (when the table has it) max r̂, against K.

Only K whose chains converged are joined into the criterion curves. Every other
K (the table's ``status``: "not converged", "collapsed", "single chain") sits on
a shaded band in every panel, its values as hollow markers off the curves, so
it never reads as the best K even where its numbers are. The y-axes are scaled
to the converged K; a value far outside (a collapsed fit's elpd, or its r̂ of
10⁵) is drawn at the panel's edge as a triangle pointing out, its value written
beside it. One legend below the panels explains every mark.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .style import DPI

__all__ = ["plot_k_selection", "K_SELECTION_COLUMNS", "FLAG_COLOURS"]

K_SELECTION_COLUMNS = ("elpd_loo", "se_loo", "elpd_waic", "se_waic", "bic")
#: Band colour of a K by its status (a converged K has no band).
FLAG_COLOURS = {"not converged": "#f4a261", "collapsed": "#e63946", "single chain": "#9d8df1"}
_FLAG_ALPHA = 0.22
_UNCONVERGED_MARKER_COLOUR = "#b5179e"
_OFF_SCALE_STRETCH = 1.0  # an unconverged value within this many spans of the converged ones widens the axis
_MARGIN = 0.08
_R_HAT_TOP = 3.0  # the r̂ axis never goes higher: r̂ above it is drawn at the edge with its value


@dataclass(frozen=True)
class _Table:
    """The table's columns as arrays over K (sorted), with each K's status and whether it converged."""

    ks: np.ndarray
    columns: dict[str, np.ndarray]
    status: np.ndarray  # text per K
    converged: np.ndarray  # bool per K

    def label(self, k: float) -> str:
        return str(int(k)) if float(k).is_integer() else str(k)


def _read_table(table: Any) -> _Table:
    missing = [column for column in K_SELECTION_COLUMNS if column not in getattr(table, "columns", ())]
    if missing:
        raise ValueError(f"table is missing the column(s) {', '.join(missing)} "
                         f"(it needs {', '.join(K_SELECTION_COLUMNS)}, indexed by K)")
    if len(table) == 0:
        raise ValueError("table has no rows: it needs one row per K")
    table = table.sort_index()
    columns = {name: table[name].to_numpy(dtype=float) for name in K_SELECTION_COLUMNS}
    if "max_r_hat" in table.columns:
        columns["max_r_hat"] = table["max_r_hat"].to_numpy(dtype=float)
    if "converged" in table.columns:
        converged = table["converged"].to_numpy(dtype=bool)
    elif "status" in table.columns:
        converged = (table["status"] == "converged").to_numpy()
    else:
        converged = np.ones(len(table), dtype=bool)
    if "status" in table.columns:
        status = table["status"].astype(str).to_numpy()
    else:
        status = np.where(converged, "converged", "not converged")
    status = np.where(converged | (status != "converged"), status, "not converged")  # converged=False wins
    return _Table(np.asarray(table.index, dtype=float), columns, status, converged & (status == "converged"))


def plot_k_selection(table: Any, selected_k: int, path: Any = None) -> Figure:
    """The criteria for choosing the number of components K, against K, with ``selected_k`` marked.

    ``table`` is a ``pandas.DataFrame`` indexed by K with columns ``elpd_loo``,
    ``se_loo``, ``elpd_waic``, ``se_waic`` (higher elpd is better) and ``bic``
    (lower is better); optional ``converged`` (bool), ``status`` (text) and
    ``max_r_hat``. Panels: both elpds with ±1 standard error bars (WAIC's nudged
    right so the bars do not overlap); BIC; max r̂ when the table has it. A
    vertical line (gid ``"selected-k"``) marks ``selected_k`` in every panel; each
    K that did not converge gets a band (gid ``"flag-{K}"``) and hollow markers
    off the curves. Without ``converged``/``status`` every K counts as converged.
    Saved to ``path`` when given.

    >>> import pandas as pd
    >>> table = pd.DataFrame({"elpd_loo": [-900.0, -850.0, -849.0], "se_loo": [20.0, 18.0, 18.0],
    ...                       "elpd_waic": [-899.0, -849.5, -848.0], "se_waic": [20.0, 18.0, 18.0],
    ...                       "bic": [1810.0, 1725.0, 1740.0]}, index=pd.Index([1, 2, 3], name="K"))
    >>> figure = plot_k_selection(table, selected_k=2)
    >>> [axes.get_ylabel() for axes in figure.axes]
    ['elpd (higher is better)', 'BIC (lower is better)']
    >>> table["status"] = ["converged", "converged", "collapsed"]
    >>> [p.get_gid() for p in plot_k_selection(table, selected_k=2).axes[0].patches]
    ['flag-3']
    """
    data = _read_table(table)
    if selected_k not in set(table.index):
        raise ValueError(f"selected_k={selected_k!r} is not a K in the table (its K: {list(table.index)})")
    selected_status = str(data.status[data.ks == float(selected_k)][0])

    has_r_hat = "max_r_hat" in data.columns
    figure = Figure(figsize=(16 if has_r_hat else 11, 5.0), layout="constrained")
    panels = figure.subplots(1, 3 if has_r_hat else 2, width_ratios=[1.0, 1.0, 0.75] if has_r_hat else [1.0, 1.0])
    elpd_axes, bic_axes = panels[0], panels[1]
    _draw_elpd(elpd_axes, data)
    _draw_bic(bic_axes, data)
    if has_r_hat:
        _draw_r_hat(panels[2], data)
    selected_label = f"selected K={selected_k}" + ("" if selected_status == "converged" else f" ({selected_status})")
    for axes in panels:
        _draw_flags(axes, data)
        axes.axvline(selected_k, color="black", linestyle=":", linewidth=1.8, gid="selected-k", zorder=1.5)
        axes.set_xticks(data.ks, [data.label(k) for k in data.ks])
        axes.set_xlim(data.ks.min() - 0.6, data.ks.max() + 0.6)
        axes.set_xlabel("K (number of components)")
    off_scale = any((line.get_gid() or "").endswith("-off-scale") for axes in panels for line in axes.lines)
    figure.legend(handles=_legend_handles(data, selected_label, has_r_hat, off_scale), loc="outside lower center",
                  ncols=4, fontsize=8, frameon=False)
    figure.suptitle(_title(data, selected_k, selected_status))
    if path is not None:
        figure.savefig(Path(path), dpi=DPI)
    return figure


def _title(data: _Table, selected_k: int, selected_status: str) -> str:
    title = f"Choosing K: selected K={selected_k}"
    if selected_status == "single chain":
        title += " (single chain: r̂ needs ≥ 2 chains, convergence not checked)"
    elif selected_status != "converged":
        title += f" ({selected_status}: no K converged, its results are not reliable)"
    flagged = {}
    for k, status in zip(data.ks, data.status):
        if status != "converged":
            flagged.setdefault(status, []).append(data.label(k))
    if flagged:
        title += "\n" + "; ".join(f"{status}: K={', '.join(ks)}" for status, ks in flagged.items())
        title += " (shaded; left out of the choice)" if data.converged.any() else " (shaded)"
    return title


def _gaps(values: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """``values`` with NaN where a K did not converge: the curve breaks there instead of passing through."""
    return np.where(ok, values, np.nan)


def _format_value(value: float) -> str:
    """-50000 as "-50,000", 3.2e5 r̂ as "320,000", 2.55 as "2.55"; beyond a million in e-notation."""
    if abs(value) >= 1e6:
        return f"{value:.2g}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _draw_elpd(axes: Axes, data: _Table) -> None:
    ok = data.converged
    for name, marker, nudge, style in (("loo", "o", 0.0, "-"), ("waic", "s", 0.08, "--")):
        values, errors = data.columns[f"elpd_{name}"], data.columns[f"se_{name}"]
        axes.errorbar(data.ks + nudge, _gaps(values, ok), yerr=_gaps(errors, ok), marker=marker, capsize=4,
                      linestyle=style, color="tab:blue" if name == "loo" else "tab:orange", gid=f"elpd-{name}",
                      label=f"elpd {'PSIS-LOO' if name == 'loo' else 'WAIC'} ± SE")
    limits = _limits(axes, data, [("elpd_loo", "se_loo"), ("elpd_waic", "se_waic")])
    for name, marker, nudge in (("loo", "o", 0.0), ("waic", "s", 0.08)):
        _draw_unconverged(axes, data, data.columns[f"elpd_{name}"], data.columns[f"se_{name}"], marker, nudge,
                          limits, f"elpd-{name}-not-converged")
    axes.set_ylabel("elpd (higher is better)")
    axes.set_title("expected log predictive density")


def _draw_bic(axes: Axes, data: _Table) -> None:
    ok = data.converged
    axes.plot(data.ks, _gaps(data.columns["bic"], ok), marker="o", color="tab:red", gid="bic", label="BIC")
    limits = _limits(axes, data, [("bic", None)])
    _draw_unconverged(axes, data, data.columns["bic"], None, "o", 0.0, limits, "bic-not-converged")
    axes.set_ylabel("BIC (lower is better)")
    axes.set_title("Bayesian information criterion")


def _r_hat_limits() -> tuple[float, float]:
    """The r̂ at or below which a fit converged, and above which its chains collapsed (the K table's rule)."""
    from ..selection import COLLAPSED_R_HAT, R_HAT_LIMIT

    return R_HAT_LIMIT, COLLAPSED_R_HAT


def _draw_r_hat(axes: Axes, data: _Table) -> None:
    """Max r̂ per K (linear axis up to at most 3), the convergence limit, far values at the top edge."""
    limit, _ = _r_hat_limits()
    r_hat = data.columns["max_r_hat"]
    finite = np.isfinite(r_hat)
    shown = r_hat[finite & (r_hat <= _R_HAT_TOP)]
    top = max(1.25 * limit, float(shown.max()) + 0.05 if len(shown) else 0.0)
    if (finite & (r_hat > top)).any():
        top = max(top, min(_R_HAT_TOP, float(r_hat[finite].max())))
    bottom = min(0.99, float(r_hat[finite].min()) - 0.01) if finite.any() else 0.99
    axes.set_ylim(bottom, top + _MARGIN * (top - bottom))
    axes.axhline(limit, color="black", linestyle="--", linewidth=1, gid="r-hat-limit")
    ok = data.converged & finite
    axes.plot(data.ks[ok], r_hat[ok], marker="o", linestyle="none", color="tab:green", gid="r-hat")
    _draw_unconverged(axes, data, r_hat, None, "o", 0.0, axes.get_ylim(), "r-hat-not-converged")
    if not finite.any():
        axes.text(0.5, 0.5, "no r̂: it needs ≥ 2 chains", transform=axes.transAxes, ha="center", va="center",
                  fontsize=9, gid="r-hat-missing")
    axes.set_ylabel(f"max r̂ (converged: at most {limit:g})")
    axes.set_title("convergence of the chains")


def _limits(axes: Axes, data: _Table, series: list[tuple[str, str | None]]) -> tuple[float, float]:
    """The y-range of the converged K (± SE), widened for unconverged values that are not far off; applied."""
    def spread(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lows, highs = [], []
        for value, error in series:
            values = data.columns[value][mask]
            errors = data.columns[error][mask] if error else np.zeros_like(values)
            keep = np.isfinite(values)
            lows.append(values[keep] - np.nan_to_num(errors[keep]))
            highs.append(values[keep] + np.nan_to_num(errors[keep]))
        return np.concatenate(lows), np.concatenate(highs)

    pool = data.converged if data.converged.any() else data.status != "collapsed"
    if not pool.any():
        pool = np.ones_like(pool)
    lows, highs = spread(pool)
    if len(lows) == 0:
        return axes.get_ylim()
    low, high = float(lows.min()), float(highs.max())
    span = high - low if high > low else max(1.0, 0.01 * abs(high))
    others_low, others_high = spread(~pool)
    near = (others_low >= low - _OFF_SCALE_STRETCH * span) & (others_high <= high + _OFF_SCALE_STRETCH * span)
    if near.any():
        low, high = min(low, float(others_low[near].min())), max(high, float(others_high[near].max()))
    span = high - low if high > low else span
    limits = (low - _MARGIN * span, high + _MARGIN * span)
    axes.set_ylim(*limits)
    return limits


def _draw_unconverged(axes: Axes, data: _Table, values: np.ndarray, errors: np.ndarray | None, marker: str,
                      nudge: float, limits: tuple[float, float], gid: str) -> None:
    """Hollow markers (with SE bars) at each unconverged K; values off the axis as edge triangles with text."""
    low, high = limits
    flagged = ~data.converged & np.isfinite(values)
    inside = flagged & (values >= low) & (values <= high)
    if inside.any():
        axes.errorbar(data.ks[inside] + nudge, values[inside],
                      yerr=None if errors is None else errors[inside], marker=marker, markersize=7,
                      markerfacecolor="white", color=_UNCONVERGED_MARKER_COLOUR, linestyle="none", capsize=3,
                      gid=gid, zorder=3)
    for k, value in zip(data.ks[flagged & ~inside], values[flagged & ~inside]):
        above = value > high
        edge = high - 0.03 * (high - low) if above else low + 0.03 * (high - low)
        axes.plot(k + nudge, edge, marker="^" if above else "v", markersize=9, markerfacecolor="white",
                  color=_UNCONVERGED_MARKER_COLOUR, linestyle="none", gid=f"{gid}-off-scale", zorder=3)
        if nudge == 0.0:  # one value label per K and panel, left of the marker (WAIC's is nudged right)
            axes.annotate(_format_value(value), (k, edge), xytext=(-8, 0), textcoords="offset points", fontsize=7,
                          va="center", ha="right", color=_UNCONVERGED_MARKER_COLOUR, gid=f"off-scale-{data.label(k)}",
                          bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none",
                                "alpha": 0.85})


def _draw_flags(axes: Axes, data: _Table) -> None:
    for k, status in zip(data.ks, data.status):
        if status != "converged":
            axes.axvspan(k - 0.4, k + 0.4, color=FLAG_COLOURS.get(status, FLAG_COLOURS["not converged"]),
                         alpha=_FLAG_ALPHA, linewidth=0, gid=f"flag-{data.label(k)}", zorder=0)


def _legend_handles(data: _Table, selected_label: str, has_r_hat: bool, off_scale: bool) -> list:
    handles = []
    if data.converged.any():
        handles += [
            Line2D([], [], color="tab:blue", marker="o", label="elpd PSIS-LOO ± SE (converged K)"),
            Line2D([], [], color="tab:orange", marker="s", linestyle="--", label="elpd WAIC ± SE (converged K)"),
            Line2D([], [], color="tab:red", marker="o", label="BIC (converged K)"),
        ]
    if has_r_hat:
        handles.append(Line2D([], [], color="black", linestyle="--", label="r̂ limit: converged at or below"))
    handles.append(Line2D([], [], color="black", linestyle=":", linewidth=1.8, label=selected_label))
    statuses = [s for s in dict.fromkeys(data.status) if s != "converged"]
    if statuses:
        handles.append(Line2D([], [], marker="o", markerfacecolor="white", color=_UNCONVERGED_MARKER_COLOUR,
                              linestyle="none", label="K not shown converged: hollow, off the curves"))
    if off_scale:
        handles.append(Line2D([], [], marker="v", markerfacecolor="white", color=_UNCONVERGED_MARKER_COLOUR,
                              linestyle="none", label="off the scale: value written beside"))
    for status in statuses:
        handles.append(Patch(color=FLAG_COLOURS.get(status, FLAG_COLOURS["not converged"]), alpha=_FLAG_ALPHA * 2,
                             label=f"{status}" + (f" (max r̂ > {_r_hat_limits()[1]:g})" if status == "collapsed" else "")))
    return handles
