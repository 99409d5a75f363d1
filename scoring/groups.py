"""Agency groups (DESIGN §4.9): rank and flag county-wide, or within each group.

Every agency belongs to one group (审批类, 执法类, 服务类, 公用事业 …; the
administrator keeps the list, the engine only sees the codes). A round's rules
(``ScoringConfig.ranking_scope``) say whether ranks and red/yellow/blue flags
compare all graded agencies of the round (``"county"``, the default) or only
those of the same group (``"group"``: "three best and three worst in each group").
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.config import DEFAULT_CONFIG, GROUP, ScoringConfig


def agency_groups(responses: pd.DataFrame) -> pd.DataFrame | None:
    """The group of each (round, agency) in ``responses`` (columns round, agency, group); None without a ``group`` column.

    The group is a property of the agency, so all its rows in a round must
    agree; raises ValueError naming the first agency that has two. A blank
    group is kept as missing: such agencies are ranked together, as one group.
    """
    if "group" not in responses.columns:
        return None
    group = responses["group"].astype("string").str.strip().replace("", pd.NA)
    rows = pd.DataFrame({"round": responses["round"], "agency": responses["agency"], "group": group})
    distinct = rows.drop_duplicates()
    clash = distinct.duplicated(["round", "agency"], keep=False)
    if clash.any():
        first = distinct[clash].iloc[0]
        raise ValueError(f"agency {first['agency']!r} has more than one group in round {first['round']!r}")
    return distinct.astype({"group": object}).replace({pd.NA: None}).reset_index(drop=True)


def ranking_partition(graded_df: pd.DataFrame, config: ScoringConfig = DEFAULT_CONFIG) -> np.ndarray:
    """Per row, a code shared by exactly the rows it is ranked against (§4.6, §4.9).

    County-wide: the round. ``ranking_scope == "group"`` with a ``group`` column:
    the (round, group) pair, a missing group being a group of its own. Without
    a ``group`` column the whole county is one group, whatever the scope.
    """
    if config.ranking_scope != GROUP or "group" not in graded_df.columns:
        return pd.factorize(graded_df["round"])[0]
    group = graded_df["group"].astype(object).where(graded_df["group"].notna(), "\x00none")
    return pd.MultiIndex.from_arrays([graded_df["round"].to_numpy(), group.to_numpy()]).factorize()[0]
