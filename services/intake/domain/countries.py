"""ISO 3166-1 alpha-2 country codes, for nationalities: data only, no I/O."""

from __future__ import annotations

# The 249 officially assigned codes (ISO 3166-1, as shipped in tzdata's iso3166.tab),
# plus XK: a user-assigned code, not ISO's, but the one the EU and Kosovo's own
# passports use; without it a Kosovar could not be registered at all.
COUNTRY_CODES: frozenset[str] = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
    BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
    EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
    HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
    LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
    NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
""".split()
) | {"XK"}

# Codes people use that ISO 3166-1 does not (the EU's own abbreviations), and what to send instead.
NOT_ISO_CODES: dict[str, str] = {"EL": "GR", "UK": "GB"}


def country_problem(code: str) -> str | None:
    """Why `code` is not an ISO 3166-1 alpha-2 country code, or None if it is one."""
    if code in COUNTRY_CODES:
        return None
    if code in NOT_ISO_CODES:
        return f"{code} is not an ISO 3166-1 code; use {NOT_ISO_CODES[code]}"
    return f"{code} is not an ISO 3166-1 alpha-2 country code"
