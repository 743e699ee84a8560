#!/usr/bin/python3
"""om_check.py URL SPEC... -- fetch URL and validate it as OpenMetrics.

Fails (exit 1, reason on stderr) unless the answer is 200 with the
OpenMetrics content type, ends with "# EOF", parses with
prometheus_client's OpenMetrics parser, and holds each SPEC:
  name                    the family exists (samples or not)
  name{label=value}       it has a sample carrying that label value
  name>N                  its first sample's value is greater than N
"""
import re
import sys
import urllib.request

from prometheus_client.openmetrics.parser import \
    text_string_to_metric_families


def main():
    url, specs = sys.argv[1], sys.argv[2:]
    with urllib.request.urlopen(url, timeout=30) as r:
        ctype = r.headers.get("Content-Type", "")
        text = r.read().decode("utf-8")
        if r.status != 200:
            sys.exit("status %d" % r.status)
    if not ctype.startswith("application/openmetrics-text; version=1.0.0"):
        sys.exit("content type %r" % ctype)
    if not text.endswith("# EOF\n"):
        sys.exit("no # EOF terminator")
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    for spec in specs:
        m = re.fullmatch(r"([a-z_:][a-z0-9_:]*)(?:\{(\w+)=([^}]*)\})?"
                         r"(?:>(\d+(?:\.\d+)?))?", spec)
        if m is None:
            sys.exit("bad spec %r" % spec)
        name, lk, lv, gt = m.groups()
        if name not in fams:
            sys.exit("family %s missing; have: %s" %
                     (name, " ".join(sorted(fams))))
        samples = fams[name].samples
        if lk is not None:
            samples = [s for s in samples if s.labels.get(lk) == lv]
            if not samples:
                sys.exit("%s: no sample with %s=%s; samples: %s" %
                         (name, lk, lv, fams[name].samples))
        if gt is not None:
            if not samples or not samples[0].value > float(gt):
                sys.exit("%s: not > %s: %s" % (spec, gt, samples[:1]))
    print("ok: %d families, %d bytes" % (len(fams), len(text)))


if __name__ == "__main__":
    main()
