"""render_api.attime: graphite-web 1.1.10 render/attime.py and views.py's time handling.

Every expected epoch below was recorded by running graphite-web 1.1.10's parseATTime /
parseTimeOffset (pytz 2026.x) on the same input; None means graphite-web raised, which /render
turns into HTTP 400. Reference "now" values: NOW = Wed 2024-03-13 15:47:23Z (GRAPHITE.md 3.2),
B_SPRING = 2024-03-31 04:00 CEST, B_FALL = 2024-10-27 03:00 CET (just after Berlin's changes),
NY_SPRING = 2024-03-10 08:00 EDT, NY_FALL = 2024-11-03 07:00 EST.
"""

from zoneinfo import ZoneInfo

import pytest

from render_api.attime import (
    TimeParseError,
    parse_attime,
    parse_time_offset,
    parse_time_range,
    parse_tz,
)

NOW = 1710344843

# Recorded from graphite-web: (text, now, tz) -> epoch, or None where parseATTime raises.
ATTIME_CASES = {
    'epoch and YYYYMMDD': [
        ('1700000000', 1710344843, 'UTC', 1700000000),
        ('0', 1710344843, 'Europe/Berlin', 0),
        ('  1700000000 ', 1710344843, 'America/New_York', 1700000000),
        ('20240101', 1710344843, 'UTC', 1704067200),
        ('20240101', 1710344843, 'Europe/Berlin', 1704063600),
        ('20241301', 1710344843, 'UTC', 20241301),
        ('19000101', 1710344843, 'UTC', 19000101),
        ('20240001', 1710344843, 'UTC', None),
        ('20240230', 1710344843, 'UTC', None),
        ('1700000000.5', 1710344843, 'UTC', None),
        ('99999999999999', 1710344843, 'UTC', None),
        ('20240131', 1710344843, 'America/New_York', 1706677200),
    ],
    'now and relative offsets': [
        ('', 1710344843, 'UTC', 1710344843),
        ('now', 1710344843, 'UTC', 1710344843),
        ('NOW', 1710344843, 'UTC', 1710344843),
        ('-1s', 1710344843, 'UTC', 1710344842),
        ('-1sec', 1710344843, 'UTC', 1710344842),
        ('-5seconds', 1710344843, 'UTC', 1710344838),
        ('-5min', 1710344843, 'UTC', 1710344543),
        ('-5mins', 1710344843, 'UTC', 1710344543),
        ('-5minutes', 1710344843, 'UTC', 1710344543),
        ('-1h', 1710344843, 'UTC', 1710341243),
        ('-2hours', 1710344843, 'UTC', 1710337643),
        ('-1d', 1710344843, 'UTC', 1710258443),
        ('-3days', 1710344843, 'UTC', 1710085643),
        ('-1w', 1710344843, 'UTC', 1709740043),
        ('-2weeks', 1710344843, 'UTC', 1709135243),
        ('-1mon', 1710344843, 'UTC', 1707752843),
        ('-2months', 1710344843, 'UTC', 1705160843),
        ('-1y', 1710344843, 'UTC', 1678808843),
        ('-2years', 1710344843, 'UTC', 1647272843),
        ('+1h', 1710344843, 'UTC', 1710348443),
        ('now-1h', 1710344843, 'UTC', 1710341243),
        ('now+1d', 1710344843, 'UTC', 1710431243),
        ('-1h30min', 1710344843, 'UTC', 1710339443),
        ('+1d2h', 1710344843, 'UTC', 1710438443),
        ('-1 h', 1710344843, 'UTC', 1710341243),
        ('-1_h', 1710344843, 'UTC', 1710341243),
        ('-1,h', 1710344843, 'UTC', 1710341243),
        ('now-', 1710344843, 'UTC', 1710344843),
        ('now+', 1710344843, 'UTC', 1710344843),
        ('-1H', 1710344843, 'UTC', 1710341243),
        ('-0s', 1710344843, 'UTC', 1710344843),
        ('-1xyz', 1710344843, 'UTC', None),
        ('-5m', 1710344843, 'UTC', None),
        ('-5mo', 1710344843, 'UTC', None),
        ('-5ms', 1710344843, 'UTC', None),
        ('-5', 1710344843, 'UTC', None),
        ('-h', 1710344843, 'UTC', None),
        ('-1d-1h', 1710344843, 'UTC', None),
        ('-1d+1h', 1710344843, 'UTC', None),
        ('-100000000000000y', 1710344843, 'UTC', None),
        ('-1\th', 1710344843, 'UTC', None),
    ],
    'time of day': [
        ('noon', 1710344843, 'UTC', 1710331200),
        ('midnight', 1710344843, 'UTC', 1710288000),
        ('teatime', 1710344843, 'UTC', 1710345600),
        ('6pm', 1710344843, 'UTC', 1710352800),
        ('6am', 1710344843, 'UTC', 1710309600),
        ('06pm', 1710344843, 'UTC', 1710352800),
        ('12am', 1710344843, 'UTC', 1710331200),
        ('12pm', 1710344843, 'UTC', 1710288000),
        ('0am', 1710344843, 'UTC', 1710288000),
        ('13am', 1710344843, 'UTC', 1710334800),
        ('99am', 1710344843, 'UTC', None),
        ('9:30', 1710344843, 'UTC', 1710322200),
        ('9:30pm', 1710344843, 'UTC', 1710365400),
        ('12:30am', 1710344843, 'UTC', 1710333000),
        ('12:30pm', 1710344843, 'UTC', 1710289800),
        ('23:59', 1710344843, 'UTC', 1710374340),
        ('24:00', 1710344843, 'UTC', None),
        ('9:60', 1710344843, 'UTC', None),
        ('9:5', 1710344843, 'UTC', 1710320700),
        ('9:', 1710344843, 'UTC', None),
        ('a:30', 1710344843, 'UTC', None),
        ('noon-1h', 1710344843, 'UTC', 1710327600),
        ('noon+30min', 1710344843, 'UTC', 1710333000),
        ('6pm today', 1710344843, 'Europe/Berlin', 1710349200),
        ('noon', 1710344843, 'America/New_York', 1710345600),
        ('3am5pm', 1710344843, 'UTC', 1710349200),
    ],
    'day references': [
        ('today', 1710344843, 'UTC', 1710288000),
        ('yesterday', 1710344843, 'UTC', 1710201600),
        ('tomorrow', 1710344843, 'UTC', 1710374400),
        ('noon yesterday', 1710344843, 'UTC', 1710244800),
        ('midnight tomorrow', 1710344843, 'UTC', 1710374400),
        ('6pm today', 1710344843, 'UTC', 1710352800),
        ('12:30pmyesterday', 1710344843, 'UTC', 1710203400),
        ('noon_yesterday', 1710344843, 'America/New_York', 1710259200),
        ('Yesterday', 1710344843, 'Europe/Berlin', 1710198000),
        ('yesterday-1h', 1710344843, 'UTC', 1710198000),
        ('monday', 1710344843, 'UTC', 1710115200),
        ('mon', 1710344843, 'UTC', 1710115200),
        ('wednesday', 1710344843, 'UTC', 1710288000),
        ('thursday', 1710344843, 'UTC', 1709769600),
        ('sunday', 1710344843, 'UTC', 1710028800),
        ('sat', 1710344843, 'UTC', 1709942400),
        ('teatime friday', 1710344843, 'UTC', 1709913600),
        ('monxyz', 1710344843, 'UTC', 1710115200),
        ('jan5', 1710344843, 'UTC', 1704412800),
        ('january15', 1710344843, 'UTC', 1705276800),
        ('JAN 5', 1710344843, 'UTC', 1704412800),
        ('jan05', 1710344843, 'UTC', 1704412800),
        ('feb29', 1710344843, 'UTC', 1709164800),
        ('dec25', 1710344843, 'Europe/Berlin', 1735081200),
        ('jan123', 1710344843, 'UTC', 1705968000),
        ('3pm jan5', 1710344843, 'UTC', 1704466800),
        ('mar', 1710344843, 'UTC', None),
        ('jan0', 1710344843, 'UTC', None),
        ('jan32', 1710344843, 'UTC', None),
        ('febx', 1710344843, 'UTC', None),
        ('1/2/24', 1710344843, 'UTC', 1704153600),
        ('12/31/2023', 1710344843, 'UTC', 1703980800),
        ('1/2/69', 1710344843, 'UTC', 3124310400),
        ('1/2/70', 1710344843, 'UTC', 86400),
        ('1/2/1800', 1710344843, 'UTC', 54593654400),
        ('13/1/2024', 1710344843, 'UTC', None),
        ('1/2/', 1710344843, 'UTC', None),
        ('noon 12/31/2023', 1710344843, 'America/New_York', 1704042000),
        ('20240101', 1710344843, 'America/New_York', 1704085200),
        ('16:00_20240101', 1710344843, 'UTC', 1704124800),
        ('16:00 20240101', 1710344843, 'Europe/Berlin', 1704121200),
        ('noon 20240315', 1710344843, 'UTC', 1710504000),
        ('xyz', 1710344843, 'UTC', None),
        ('nowish', 1710344843, 'UTC', None),
        ('todayx', 1710344843, 'UTC', None),
        ('1/2/3/4', 1710344843, 'UTC', None),
    ],
    'Europe/Berlin DST': [
        ('-1d', 1711854000, 'Europe/Berlin', 1711767600),
        ('yesterday', 1711854000, 'Europe/Berlin', 1711753200),
        ('midnight', 1711854000, 'Europe/Berlin', 1711839600),
        ('midnight+1d', 1711854000, 'Europe/Berlin', 1711926000),
        ('noon yesterday', 1711854000, 'Europe/Berlin', 1711796400),
        ('02:30_20240331', 1710344843, 'Europe/Berlin', 1711848600),
        ('2:00_20240331', 1710344843, 'Europe/Berlin', 1711846800),
        ('03:00_20240331', 1710344843, 'Europe/Berlin', 1711846800),
        ('01:59_20240331', 1710344843, 'Europe/Berlin', 1711846740),
        ('02:30_20241027', 1710344843, 'Europe/Berlin', 1729992600),
        ('02:00_20241027', 1710344843, 'Europe/Berlin', 1729990800),
        ('03:00_20241027', 1710344843, 'Europe/Berlin', 1729994400),
        ('01:59_20241027', 1710344843, 'Europe/Berlin', 1729987140),
        ('-1d', 1729998000, 'Europe/Berlin', 1729911600),
        ('yesterday', 1729998000, 'Europe/Berlin', 1729893600),
        ('midnight', 1729998000, 'Europe/Berlin', 1729980000),
        ('2:30am', 1729998000, 'Europe/Berlin', 1729992600),
        ('2:30am', 1711854000, 'Europe/Berlin', 1711848600),
        ('sunday', 1729998000, 'Europe/Berlin', 1729980000),
        ('-1h', 1729990800, 'Europe/Berlin', 1729987200),
        ('now', 1729989000, 'Europe/Berlin', 1729989000),
        ('2:30am-1h', 1729998000, 'Europe/Berlin', 1729989000),
        ('3/31/2024', 1710344843, 'Europe/Berlin', 1711839600),
        ('10/27/2024', 1710344843, 'Europe/Berlin', 1729980000),
    ],
    'America/New_York DST': [
        ('-1d', 1710072000, 'America/New_York', 1709985600),
        ('yesterday', 1710072000, 'America/New_York', 1709960400),
        ('2:30am', 1710072000, 'America/New_York', 1710055800),
        ('2:30am 20240310', 1710344843, 'America/New_York', 1710055800),
        ('3:00am 20240310', 1710344843, 'America/New_York', 1710054000),
        ('1:59am 20240310', 1710344843, 'America/New_York', 1710053940),
        ('1:30am 20241103', 1710344843, 'America/New_York', 1730615400),
        ('1:00am 20241103', 1710344843, 'America/New_York', 1730613600),
        ('2:00am 20241103', 1710344843, 'America/New_York', 1730617200),
        ('-1d', 1730635200, 'America/New_York', 1730548800),
        ('yesterday', 1730635200, 'America/New_York', 1730520000),
        ('1:30am', 1730635200, 'America/New_York', 1730615400),
        ('midnight+1d', 1730548800, 'America/New_York', 1730606400),
        ('noon', 1730635200, 'America/New_York', 1730653200),
        ('11/3/2024', 1710344843, 'America/New_York', 1730606400),
    ],
}
OFFSET_CASES = [
    ('5min', 300),
    ('-1d', -86400),
    ('+1h', 3600),
    ('1h30min', 5400),
    ('-1h30min', -5400),
    ('', 0),
    ('-', 0),
    ('+', 0),
    ('5', None),
    ('x5', None),
    ('1H', None),
    ('-5m', None),
    ('-5mo', None),
    ('1mon', 2592000),
    ('2months', 5184000),
    ('1y', 31536000),
    ('2w', 1209600),
    ('-3days', -259200),
    ('1h 30min', None),
    ('+1d-1h', None),
    ('99999999999999d', None),
    ('30s', 30),
    ('1sec', 1),
    ('10minutes', 600),
    ('24hours', 86400),
    (' 5min', None),
    ('5min ', None),
    ('1d1d', 172800),
]
RANGE_CASES = [
    (None, None, None, 'UTC', (1710258443, 1710344843, 1710344843)),
    ('-1h', None, None, 'UTC', (1710341243, 1710344843, 1710344843)),
    ('-1h', 'now', None, 'UTC', (1710341243, 1710344843, 1710344843)),
    ('now', '-1h', None, 'UTC', (1710341243, 1710344843, 1710344843)),
    ('-2h', '-1h', '-1d', 'UTC', (1710251243, 1710254843, 1710258443)),
    ('midnight', 'noon', None, 'Europe/Berlin', (1710284400, 1710327600, 1710344843)),
    ('now', None, None, 'UTC', 'empty'),
    ('-1h', '-1h', None, 'UTC', 'empty'),
    (None, None, '20240101', 'America/New_York', (1703998800, 1704085200, 1704085200)),
    ('noon', None, '16:00_20240101', 'Europe/Berlin', (1704106800, 1704121200, 1704121200)),
    ('bad', None, None, 'UTC', None),
    ('-1h', 'bad', None, 'UTC', None),
    ('-1h', None, 'bad', 'UTC', None),
    ('1700000000', '1700003600', None, 'UTC', (1700000000, 1700003600, 1710344843)),
    ('', None, None, 'UTC', 'empty'),
    ('-1d', None, '', 'UTC', (1710258443, 1710344843, 1710344843)),
]
TZ_CASES = [
    (None, None),
    ('', None),
    ('utc', 'UTC'),
    ('UTC', 'UTC'),
    ('Utc', 'UTC'),
    ('europe/berlin', 'Europe/Berlin'),
    ('Europe/Berlin', 'Europe/Berlin'),
    ('EST', 'EST'),
    ('Etc/GMT+5', 'Etc/GMT+5'),
    ('Etc/GMT_plus_5', 'Etc/GMT+5'),
    ('Etc/GMT_minus_5', 'Etc/GMT-5'),
    ('US/Eastern', 'US/Eastern'),
    ('Europe/Berlin ', None),
    ('local', None),
    ('../etc/passwd', None),
    ('europe/kiev', 'Europe/Kiev'),
    ('Zulu', 'Zulu'),
    ('Factory', None),
    ('localtime', None),
    ('é', None),
    ('America/new_york', 'America/New_York'),
]


def _attime_params():
    for group, cases in ATTIME_CASES.items():
        for text, now, tz, expected in cases:
            yield pytest.param(text, now, tz, expected, id=f"{group}: {text!r} @{now} {tz}")


@pytest.mark.parametrize("text, now, tz, expected", _attime_params())
def test_parse_attime_matches_graphite_web(text, now, tz, expected):
    # attime.py parseATTime(text, tz, now)
    if expected is None:
        with pytest.raises(TimeParseError):
            parse_attime(text, ZoneInfo(tz), now)
    else:
        assert parse_attime(text, ZoneInfo(tz), now) == expected


def test_doc_examples_of_graphite_md():
    # GRAPHITE.md 3.2 examples, now = Wed 2024-03-13 15:47:23Z
    utc = ZoneInfo("UTC")
    assert parse_attime("-1mon", utc, NOW) == 1707752843          # 02-12 15:47:23
    assert parse_attime("noon yesterday", utc, NOW) == 1710244800  # 03-12 12:00
    assert parse_attime("6pm today", utc, NOW) == 1710352800       # 18:00
    assert parse_attime("tomorrow", utc, NOW) == 1710374400        # 03-14 00:00
    assert parse_attime("monday", utc, NOW) == 1710115200          # 03-11 00:00
    assert parse_attime("16:00_20240101", utc, NOW) == 1704124800
    assert parse_attime("20241301", utc, NOW) == 20241301          # not a date: epoch


def test_relative_offsets_are_absolute_across_dst():
    # pytz: localize(now) + timedelta, then normalize -> exactly 86400 s, not one wall day
    berlin = ZoneInfo("Europe/Berlin")
    assert parse_attime("-1d", berlin, 1711854000) == 1711854000 - 86400
    assert parse_attime("yesterday", berlin, 1711854000) == 1711753200  # wall midnight, 28h back


def test_skipped_wall_time_keeps_the_offset_before_the_jump():
    # pytz localize(is_dst=False) of 02:30 on 2024-03-31 in Berlin -> 02:30+01:00
    assert parse_attime("02:30_20240331", ZoneInfo("Europe/Berlin"), NOW) == 1711848600


def test_repeated_wall_time_takes_standard_time():
    # pytz localize(is_dst=False) of 02:30 on 2024-10-27 in Berlin -> the later 02:30 CET
    assert parse_attime("02:30_20241027", ZoneInfo("Europe/Berlin"), NOW) == 1729992600


@pytest.mark.parametrize("text, message", [
    ("-5m", "Invalid offset unit 'm'"),
    ("-5mo", "Invalid offset unit 'mo'"),
    ("xyz", "Unknown day reference: xyz"),
    ("febx", "Day of month required after month name"),
])
def test_error_messages_name_the_problem(text, message):
    with pytest.raises(TimeParseError, match=message):
        parse_attime(text, ZoneInfo("UTC"), NOW)


def test_time_parse_error_is_a_value_error():
    assert issubclass(TimeParseError, ValueError)


@pytest.mark.parametrize("text, expected", OFFSET_CASES)
def test_parse_time_offset_matches_graphite_web(text, expected):
    # attime.py parseTimeOffset: no lowercasing, no stripping, unsigned means positive
    if expected is None:
        with pytest.raises(TimeParseError):
            parse_time_offset(text)
    else:
        assert parse_time_offset(text) == expected


@pytest.mark.parametrize("from_, until, now, tz, expected", RANGE_CASES)
def test_parse_time_range_matches_views(from_, until, now, tz, expected):
    # render/views.py parseOptions: now first (real clock), until, from (default -1d), swap
    if expected is None:
        with pytest.raises(TimeParseError):
            parse_time_range(from_, until, now, ZoneInfo(tz), NOW)
    elif expected == "empty":
        with pytest.raises(TimeParseError, match="^Invalid empty time range$"):
            parse_time_range(from_, until, now, ZoneInfo(tz), NOW)
    else:
        assert parse_time_range(from_, until, now, ZoneInfo(tz), NOW) == expected


@pytest.mark.parametrize("name, expected", TZ_CASES)
def test_parse_tz_matches_pytz_lookup(name, expected):
    # views.py: pytz.timezone(tz), UnknownTimeZoneError silently ignored
    default = ZoneInfo("Asia/Tokyo")
    zone = parse_tz(name, default)
    assert zone.key == (expected or "Asia/Tokyo")
