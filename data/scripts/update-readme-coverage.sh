#!/usr/bin/env bash
# Rewrites the coverage tables in README.md (between the coverage markers) from
# `strikemap check --report` over the bundled data. A test fails when they differ.
set -euo pipefail
cd "$(dirname "$0")/../.."
report=$(cargo run --quiet --bin strikemap -- check --data data --report 2>/dev/null | sed -n '/^### Incidents by alleged perpetrator and grade/,$p')
python3 - "$report" <<'PY'
import re, sys
report = sys.argv[1].strip()
text = open("README.md", encoding="utf-8").read()
start, end = "<!-- coverage:start -->", "<!-- coverage:end -->"
new = f"{start}\n{report}\n{end}"
text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: new, text, flags=re.S)
open("README.md", "w", encoding="utf-8").write(text)
PY
