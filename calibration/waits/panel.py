"""Many series in one file: choosing a provider x service, and listing what a file holds.

Every reader (wide CSV, workbooks, plain CSV) produces a ``Panel``: one row per
organisation x service x month with the band counts on one edge set. Choosing the series
happens here, once, so that a provider or service that is not found gets the same message
whatever the file format.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from calibration.waits.history import BandHistory, WaitsError, build_history, edge_label

ID_COLUMNS = ("org_type", "org_code", "org_name", "service")
SHOWN = 12  # candidates named in a message; the rest are counted


def band_column_names(edges: tuple[float, ...]) -> list[str]:
    return [f"band_{edge_label(a)}_{edge_label(b)}" for a, b in zip(edges[:-1], edges[1:], strict=True)]


@dataclass
class Panel:
    """Rows of organisation x service x month (``frame``) with band counts on ``edges``.

    ``frame`` columns: month, org_type, org_code, org_name, service (text, "" when the file
    does not say), total (NaN when not reported) and one float column per band.
    """

    source: str
    edges: tuple[float, ...]
    frame: pd.DataFrame
    single: bool = False  # a plain CSV: one unnamed series
    _cache: dict = field(default_factory=dict, repr=False)  # groups, arrays: computed once per panel

    @property
    def band_columns(self) -> list[str]:
        return band_column_names(self.edges)

    def key_frame(self) -> pd.DataFrame:
        """The frame with ``key``: the organisation code, or its name where it has no code."""
        frame = self.frame
        if "key" not in frame.columns:
            frame["key"] = frame["org_code"].where(frame["org_code"] != "", frame["org_name"])
        return frame

    def groups(self) -> dict[tuple[str, str], np.ndarray]:
        """Row positions of each (organisation key, service)."""
        if "groups" not in self._cache:
            frame = self.key_frame()
            self._cache["groups"] = {
                key: np.asarray(rows)
                for key, rows in frame.groupby(["key", "service"], sort=False).indices.items()
            }
        return self._cache["groups"]

    def organisations(self) -> pd.DataFrame:
        """One row per organisation: key, org_code, org_name."""
        if "organisations" not in self._cache:
            self._cache["organisations"] = self.key_frame().drop_duplicates("key")[
                ["key", "org_code", "org_name"]
            ]
        return self._cache["organisations"]

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Months, totals and band counts as arrays, so that choosing a series is only indexing."""
        if "arrays" not in self._cache:
            frame = self.frame
            self._cache["arrays"] = (
                frame["month"].to_numpy(dtype=object),
                frame["total"].to_numpy(dtype=float),
                frame[self.band_columns].to_numpy(dtype=float),
            )
        return self._cache["arrays"]

    def history(self, rows: np.ndarray, identity: tuple[str | None, str | None, str | None]) -> BandHistory:
        months, totals, values = self.arrays()
        return build_history(
            self.source, months[rows], totals[rows], values[rows], self.band_columns, self.edges, identity
        )


def list_panel(panel: Panel) -> pd.DataFrame:
    """One row per organisation x service: provider_code, provider_name, service, months, first/last month.

    A last column, ``org_type``, says what each organisation is where the file says it
    (Provider, ICB, Region, National): the CHS files publish all four levels.
    """
    frame = panel.key_frame()
    given = frame[panel.band_columns + ["total"]].notna().any(axis=1)
    submitted = frame["month"].where(given)
    grouped = frame.assign(submitted=submitted).groupby(["key", "service"], sort=False)
    table = grouped.agg(
        provider_code=("org_code", "first"),
        provider_name=("org_name", "first"),
        months=("submitted", "nunique"),
        first_month=("submitted", "min"),
        last_month=("submitted", "max"),
        org_type=("org_type", "first"),
    ).reset_index()
    table = table[
        ["provider_code", "provider_name", "service", "months", "first_month", "last_month", "org_type"]
    ]
    table = table.sort_values(["provider_name", "service"], kind="stable").reset_index(drop=True)
    table = table.astype(object)
    # Blank names and months with no submission are None, not "" or NaN, for the caller to test.
    return table.where(table.notna() & (table != ""), None).astype({"months": int})


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN])
    return shown + (f" ... and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def _choose_organisation(panel: Panel, provider: str) -> str:
    """The key of the organisation named by code (or exact name), case ignored."""
    organisations = panel.organisations()
    wanted = provider.strip().casefold()
    for column in ("org_code", "org_name"):
        match = organisations[organisations[column].str.casefold() == wanted]
        if len(match) == 1:
            return str(match["key"].iloc[0])
        if len(match) > 1:
            raise WaitsError(f"{panel.source}: provider {provider!r} names {len(match)} organisations")
    labels = {}
    for row in organisations.itertuples():
        labels[row.org_code or row.org_name] = (
            f"{row.org_code} ({row.org_name})" if row.org_code else row.org_name
        )
    # Near matches: the text inside a code or name, then codes and names that are spelt alike.
    near = [label for label in labels.values() if wanted in label.casefold()]
    codes = [code for code in organisations["org_code"] if code]
    names = {
        name.casefold(): key
        for key, name in zip(organisations["key"], organisations["org_name"], strict=True)
    }
    typed = provider.strip().upper()
    alike = [
        code
        for code in codes
        if len(code) == len(typed) and sum(a != b for a, b in zip(code, typed, strict=True)) == 1
    ]
    alike += difflib.get_close_matches(typed, codes, n=3, cutoff=0.6)
    alike += [names[name] for name in difflib.get_close_matches(wanted, list(names), n=5, cutoff=0.6)]
    near += [labels[key] for key in dict.fromkeys(alike) if labels[key] not in near]
    labels = list(labels.values())
    hint = (
        f"; near matches: {_listing(near)}"
        if near
        else f"; {len(labels)} organisations, e.g. {_listing(labels)}"
    )
    raise WaitsError(
        f"{panel.source}: provider {provider!r} not found (give an org_code or exact name){hint}"
    )


def _spelt_alike(wanted: str, name: str) -> bool:
    """Whether any word of ``name`` (or the whole) is spelt like ``wanted``: "podiatree" for "Podiatry"."""
    words = [name.casefold(), *name.casefold().replace(":", " ").replace("(", " ").replace(")", " ").split()]
    return any(difflib.SequenceMatcher(None, wanted, word).ratio() >= 0.75 for word in words)


def _choose_service(panel: Panel, services: list[str], service: str, who: str) -> str:
    """An exact service name, else the one service containing ``service`` (case ignored)."""
    if service in services:
        return service
    wanted = service.strip().casefold()
    exact = [name for name in services if name.casefold() == wanted]
    if len(exact) == 1:
        return exact[0]
    matches = [name for name in services if wanted in name.casefold()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise WaitsError(
            f"{panel.source}: service {service!r} is ambiguous{who}: it matches {_listing(matches)}"
        )
    near = [name for name in services if _spelt_alike(wanted, name)]
    hint = f"near matches: {_listing(near)}" if near else f"services: {_listing(services)}"
    raise WaitsError(f"{panel.source}: service {service!r} not found{who}; {hint}")


def services_of(panel: Panel, provider: str) -> list[str]:
    """Every service the organisation ``provider`` (code or exact name, as ``select`` takes it) reports."""
    key = _choose_organisation(panel, provider)
    return sorted(name for k, name in panel.groups() if k == key)


def select(panel: Panel, provider: str | None, service: str | None) -> BandHistory:
    """The ``BandHistory`` of one organisation x service in the panel."""
    if panel.single:  # a plain CSV is one series: the caller's labels are recorded as given
        return panel.history(np.arange(len(panel.frame)), (provider, None, service))
    groups = panel.groups()
    keys = sorted({key for key, _ in groups})
    if provider is None:
        if len(keys) != 1:
            raise WaitsError(
                f"{panel.source}: holds {len(keys)} organisations; choose one with provider "
                f"(an org_code or exact name), e.g. {_listing(keys)}"
            )
        key = keys[0]
    else:
        key = _choose_organisation(panel, provider)
    services = sorted(name for k, name in groups if k == key)
    who = f" for {provider}" if provider else ""
    if service is None:
        if len(services) != 1:
            raise WaitsError(
                f"{panel.source}: {len(services)} services{who}; choose one: {_listing(services)}"
            )
        chosen = services[0]
    else:
        chosen = _choose_service(panel, services, service, who)
    rows = groups[(key, chosen)]
    first = panel.frame.iloc[rows[0]]
    return panel.history(rows, (first["org_code"] or None, first["org_name"] or None, chosen or None))
