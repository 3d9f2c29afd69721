"""The golden render requests: every Tier-1 function and every data format, with their edges.

Each case is a dict of /render parameters (lists where a parameter repeats); `now` is added
by the recorder and the runner from the fixture, so relative times mean the same on both.
"""

from __future__ import annotations

CPU = "golden.web*.cpu.user"
ALL_CPU = "golden.web*.cpu.*"
GAPPY = "golden.gappy.gauge"

FUNCTION_TARGETS = [
    # Combine
    f"sumSeries({CPU})", f"sum({CPU})", f"averageSeries({CPU})", f"avg({CPU},{GAPPY})",
    f"maxSeries({CPU})", f"minSeries({CPU})", f"diffSeries({CPU})", "multiplySeries(golden.web1.cpu.*)",
    f"stddevSeries({CPU})", f"rangeOfSeries({CPU})", f"countSeries({CPU})", "countSeries()",
    f"aggregate({CPU},'median')", f"aggregate({ALL_CPU},'avg_zero')", f"aggregate({CPU},'sum',0.8)",
    f"aggregate({CPU},'diff')", f"aggregate({CPU},'last')", f"sumSeries({GAPPY},golden.sparse.gauge)",
    f"asPercent({CPU})", f"asPercent({CPU},100)", f"asPercent({CPU},golden.constant.one)",
    f"pct({ALL_CPU},golden.web*.cpu.idle,1)", f"asPercent({ALL_CPU},None,1)",
    "divideSeries(golden.web*.cpu.user,golden.web1.cpu.system)", "divideSeries(golden.web1.cpu.user,golden.zero.gauge)",
    f"groupByNode({ALL_CPU},1)", f"groupByNode({ALL_CPU},3,'sumSeries')", f"groupByNode({ALL_CPU},-1,'max')",
    f"groupByNodes({ALL_CPU},'sum',1,3)", f"groupByNodes({ALL_CPU},'average')",
    f"percentileOfSeries({CPU},50)", f"percentileOfSeries({CPU},90,True)",
    # Transform
    f"scale({CPU},2.5)", f"scale({GAPPY},-1)", f"offset({CPU},-10)", "absolute(golden.negative.gauge)",
    "log(golden.gappy.gauge)", "log(golden.web1.cpu.user,2)", "derivative(golden.gappy.gauge)",
    "derivative(golden.web1.requests.count)", "nonNegativeDerivative(golden.web*.requests.count)",
    "nonNegativeDerivative(golden.web1.requests.count,3000)", "nonNegativeDerivative(golden.gappy.gauge,None,2)",
    "perSecond(golden.web*.requests.count)", "perSecond(golden.web1.requests.count,3000)",
    "integral(golden.gappy.gauge)", "keepLastValue(golden.gappy.gauge)", "keepLastValue(golden.sparse.gauge,3)",
    "transformNull(golden.gappy.gauge)", "transformNull(golden.gappy.gauge,-1)",
    "transformNull(golden.sparse.gauge,0,golden.gappy.gauge)",
    f"summarize({CPU},'1h')", f"summarize({CPU},'15min','avg')", f"summarize({GAPPY},'1h','max',True)",
    "summarize(golden.web1.requests.count,'30min','last')", f"summarize({GAPPY},'7min','count')",
    f"hitcount({CPU},'1h')", f"hitcount({GAPPY},'15min',True)",
    f"timeShift({CPU},'1h')", f"timeShift({CPU},'+30min')", "timeShift(golden.gappy.gauge,'-2h',False)",
    # Calculate
    f"movingAverage({CPU},5)", f"movingAverage({GAPPY},'5min')", f"movingAverage({GAPPY},10,0.5)",
    f"movingSum({GAPPY},3)", f"movingMin({CPU},'2min')", f"movingMax({CPU},4)", f"movingMedian({GAPPY},5)",
    f"movingWindow({GAPPY},'1min','avg_zero')", f"movingWindow({CPU},6,'range')",
    f"nPercentile({CPU},95)", f"nPercentile({GAPPY},50)",
    # Filter Series
    f"highest({ALL_CPU},2)", f"highest({ALL_CPU},3,'max')", f"lowest({ALL_CPU})", f"highestAverage({ALL_CPU},2)",
    f"highestCurrent({ALL_CPU},2)", f"highestMax({ALL_CPU},1)", f"lowestAverage({ALL_CPU},2)",
    f"lowestCurrent({ALL_CPU},2)", f"limit({ALL_CPU},3)", f"exclude({ALL_CPU},'web[12]')",
    f"grep({ALL_CPU},'idle$')",
    # Filter Data
    f"removeAboveValue({CPU},60)", f"removeBelowValue({GAPPY},6)",
    # Sorting
    f"sortBy({ALL_CPU},'max')", f"sortBy({ALL_CPU},'average',True)", f"sortByName({ALL_CPU})",
    "sortByName(golden.web*.cpu.*,True,True)", f"sortByTotal({ALL_CPU})", f"sortByMaxima({ALL_CPU})",
    "sortByMinima(golden.*.gauge)",
    # Alias
    f"alias({CPU},'cpu')", f"aliasByNode({ALL_CPU},1,3)", f"aliasByNode(sumSeries({CPU}),1)",
    f"aliasByTags({CPU},1,'name')", f"aliasByMetric(scale({CPU},2))",
    f"aliasSub({CPU},'^golden\\.(\\w+)\\..*','host \\1')",
    "aliasSub(golden.web1.cpu.user, \"(^.*$)\", \"\\1 A\")",
    # Special
    f"consolidateBy({CPU},'max')", "constantLine(100)", "constantLine(-1.5)",
    # pipes and nesting
    f"{CPU}|scale(2)|alias('piped')", f"aliasByNode(movingAverage({ALL_CPU},10),1)",
    "golden.nosuch.*", "sumSeries(golden.nosuch.*)",
]

FRAMES = [
    {"from": "-2h"},
    {"from": "-6h", "until": "-1h"},
]


def render_cases() -> list[dict]:
    cases = []
    for target in FUNCTION_TARGETS:
        cases.append({"target": [target], "from": "-2h", "format": "json"})
    cases += [
        # consolidation and archives
        {"target": [CPU], "from": "-2h", "format": "json", "maxDataPoints": "100"},
        {"target": [ALL_CPU, GAPPY], "from": "-8h", "format": "json", "maxDataPoints": "37"},
        {"target": [f"consolidateBy({GAPPY},'sum')"], "from": "-2h", "format": "json", "maxDataPoints": "50"},
        {"target": [f"consolidateBy({GAPPY},'last')"], "from": "-2h", "format": "json", "maxDataPoints": "1"},
        {"target": [GAPPY], "from": "-2h", "format": "json", "maxDataPoints": "60", "xFilesFactor": "0.7"},
        {"target": [CPU], "from": "-2d", "format": "json"},
        {"target": [GAPPY], "from": "-1d", "until": "-23h", "format": "json"},
        {"target": [GAPPY], "from": "-30min", "format": "json", "noNullPoints": "1"},
        # formats
        {"target": [GAPPY, "golden.web1.cpu.user"], "from": "-20min", "format": "csv"},
        {"target": [GAPPY, "golden.web1.cpu.user"], "from": "-20min", "format": "raw"},
        {"target": [GAPPY], "from": "-20min", "format": "json", "jsonp": "cb"},
        {"target": [GAPPY], "from": "-20min", "format": "pickle"},
        {"target": [GAPPY], "from": "-20min", "format": "msgpack"},
        {"target": [GAPPY], "from": "-20min", "format": "dygraph"},
        {"target": [GAPPY], "from": "-20min", "format": "rickshaw"},
        {"target": [GAPPY], "from": "-20min", "format": "csv", "tz": "Europe/Berlin"},
        # time grammar through the API
        {"target": [GAPPY], "from": "-1h", "until": "-30min", "format": "json"},
        {"target": [GAPPY], "from": "-1h30min", "until": "now", "format": "json"},
        {"target": [GAPPY], "from": "-20min", "until": "-40min", "format": "json"},
        {"target": [GAPPY], "from": "-5m", "format": "json"},
        {"target": [GAPPY], "from": "-1h", "until": "-1h", "format": "json"},
    ]
    return cases


def find_cases() -> list[dict]:
    return [
        {"query": "golden.*"}, {"query": "golden.web*.cpu.*"}, {"query": "golden.web1.*", "format": "json"},
        {"query": "golden.*", "format": "completer"}, {"query": "golden.web*", "wildcards": "1"},
        {"query": "golden.{web1,db}.*"}, {"query": "*"}, {"query": "golden.nosuch.*"},
        {"query": "golden.web[12].cpu.?ser"},
    ]
