#!/bin/sh
# Integration components, when hv_utils is loaded. Every heartbeat, shutdown
# and timesync device must be bound to hv_utils and have agreed on versions
# with the host (hv_utils' "<Service> IC version" line). With a timesync
# device the wall clock must come to within 2 s of the RTC: boot with
# vmbhv.clock=<far-off time> (set by /init before hv_utils loads) and this
# shows timesync correcting it.
#   GUEST-CHECK ic-<kind> PASS|FAIL driver=<name> version=<M.m>|none
#   GUEST-CHECK ic-clock PASS|FAIL guest=<unix> rtc=<unix>|none delta=<s> waited=<s>s
# vmbhv.ics_wait=SECONDS bounds each wait (default 30).
bus=/sys/bus/vmbus/devices
rtc=/sys/class/rtc/rtc0/since_epoch
[ -d /sys/bus/vmbus/drivers/hv_utils ] || exit 0
limit=30
# shellcheck disable=SC2013 # words are what we want
for arg in $(cat /proc/cmdline); do
	case $arg in vmbhv.ics_wait=*) limit=${arg#*=} ;; esac
done

kind_of() {
	case $1 in
	57164f39-9115-4e78-ab55-382f3bd5422d) echo heartbeat ;;
	0e0b6031-5213-4934-818b-38d90ced39db) echo shutdown ;;
	9527e630-d0ae-497b-adce-e80ab0175caf) echo timesync ;;
	esac
}

# The version hv_utils logged for a service ("Heartbeat", "Shutdown", "TimeSync").
version_of() {
	dmesg | sed -n "s/.*hv_utils: $1 IC version \([0-9]*\.[0-9]*\).*/\1/p" | tail -n 1
}

timesync=
for d in "$bus"/*; do
	[ -e "$d/class_id" ] || continue
	kind=$(kind_of "$(tr -d '{}' <"$d/class_id")")
	case $kind in
	heartbeat) service=Heartbeat ;;
	shutdown) service=Shutdown ;;
	timesync) service=TimeSync timesync=1 ;;
	*) continue ;;
	esac
	drv=-
	[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
	# the host negotiates right after the open: give it its time
	i=0
	version=$(version_of "$service")
	while [ -z "$version" ] && [ $i -lt "$limit" ]; do
		sleep 1
		i=$((i + 1))
		version=$(version_of "$service")
	done
	status=FAIL
	[ "$drv" = hv_utils ] && [ -n "$version" ] && status=PASS
	guest-check "ic-$kind" $status "driver=$drv version=${version:-none}"
done

[ -n "$timesync" ] || exit 0
# timesync steps the clock from a workqueue after its SYNC message: poll.
i=0
while :; do
	now=$(date +%s)
	if [ ! -r "$rtc" ]; then
		guest-check ic-clock PASS "guest=$now rtc=none delta=- waited=${i}s"
		exit 0
	fi
	delta=$((now - $(cat "$rtc")))
	if [ "${delta#-}" -le 2 ]; then
		guest-check ic-clock PASS "guest=$now rtc=$((now - delta)) delta=$delta waited=${i}s"
		exit 0
	fi
	if [ $i -ge "$limit" ]; then
		guest-check ic-clock FAIL "guest=$now rtc=$((now - delta)) delta=$delta waited=${i}s"
		exit 0
	fi
	sleep 1
	i=$((i + 1))
done
