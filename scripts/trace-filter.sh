#!/usr/bin/env bash
# trace-filter.sh [--class C[,C...]] [--relid N[,N...]] [--msg NAME[,NAME...]]
#                 [--from MS] [--to MS] [--grep REGEX] [--text] [--count] [FILE...]
# Filters the hypervisor's trace records (JSON lines, one per traced event:
# <run log>.trace.jsonl, e.g. build/logs/run.log.trace.jsonl; README,
# "The decoded trace"). Every option narrows: --class the event class
# (vmbus, ring, synic, hypercall, exit), --relid the channel, --msg the
# message or packet type (OFFERCHANNEL, DATA_INBAND, HvSignalEvent, ...),
# --from/--to the host time in milliseconds since the hypervisor started
# (inclusive, fractions allowed), --grep a regular expression on the event's
# text. Prints the matching records as they are, or with --text one line each,
# "<ms> <class>: <text>" (as on the log), or with --count only how many match.
# Reads standard input without FILE. Plain awk: a 100,000-event trace takes
# well under a second.
set -euo pipefail
class= relid= msg= from= to= re= text=0 count=0 files=()
usage() { sed -n '2,3p' "$0" | sed 's/^# //' >&2; exit 2; }
while (($#)); do
    case $1 in
    --class) class=${2:?}; shift 2 ;;
    --relid) relid=${2:?}; shift 2 ;;
    --msg) msg=${2:?}; shift 2 ;;
    --from) from=${2:?}; shift 2 ;;
    --to) to=${2:?}; shift 2 ;;
    --grep) re=${2:?}; shift 2 ;;
    --text) text=1; shift ;;
    --count) count=1; shift ;;
    -h | --help) usage ;;
    -*) echo "trace-filter: unknown option $1" >&2; usage ;;
    *) files+=("$1"); shift ;;
    esac
done
for n in "$from" "$to"; do
    [[ -z $n || $n =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "trace-filter: not a time in ms: '$n'" >&2; exit 2; }
done
[[ -z $relid || $relid =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "trace-filter: not relids: '$relid'" >&2; exit 2; }
exec awk -v class="$class" -v relid="$relid" -v msg="$msg" -v from="$from" -v to="$to" \
    -v re="$re" -v text="$text" -v count="$count" '
function set(list, s,   n, i, a) { n = split(list, a, ","); for (i = 1; i <= n; i++) s[a[i]] = 1; return n }
# the value of "key": in a record whose keys come in a fixed order (lib/trace.h)
function field(key,   i, v) {
    i = index($0, "\"" key "\":"); if (!i) return ""
    v = substr($0, i + length(key) + 3)
    if (substr(v, 1, 1) == "\"") { v = substr(v, 2); return substr(v, 1, index(v, "\"") - 1) }
    return substr(v, 1, match(v, /[,}]/) - 1)
}
function unescape(s) { gsub(/\\"/, "\"", s); gsub(/\\\\/, "\\", s); return s }
BEGIN { nc = set(class, C); nr = set(relid, R); nm = set(msg, M) }
!/^\{"t_us":/ { next }
{
    if (nc && !(field("class") in C)) next
    if (nr && !(field("relid") in R)) next
    if (nm && !(field("msg") in M)) next
    ms = field("t_us") / 1000
    if (from != "" && ms < from + 0) next
    if (to != "" && ms > to + 0) next
    t = substr($0, index($0, "\"text\":\"") + 8); t = unescape(substr(t, 1, length(t) - 2))
    if (re != "" && t !~ re) next
    n++
    if (count) next
    if (text) printf "%.3f %s: %s\n", ms, field("class"), t
    else print
}
END { if (count) print n + 0 }' "${files[@]}"
