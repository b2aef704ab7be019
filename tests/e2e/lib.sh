# The e2e scenario API. A scenario (tests/e2e/scenarios/NN-name.sh) is sourced
# in its own subshell; it writes a config, boots once, and asserts on the log.
#   config <<EOF ... EOF      the scenario's hv.cfg (default: empty, no guest)
#   with_guest                put the guest kernel and initramfs on the volume
#                             (as hv/vmlinuz, hv/initrd) for the config to name
#   with_guest_modules M...   the same with an initramfs of its own that loads
#                             modules M (a path for out-of-tree ones; naming
#                             guest/kmod's probe or attack module builds them
#                             and brings its check script)
#   with_attack_module CASES  with_guest_modules of the attack module alone
#                             and the standard config: check mode, the module
#                             running vmbhv_attack.cases=CASES (comma list)
#   esp_add SRC DEST          an extra file on the boot volume (replaces one)
#   esp_del PATH              remove a file from the boot volume
#   disk PATH [SERIAL]        attach a raw image as a virtio-blk disk with that
#                             serial, or none (qemu.sh --disk)
#   nic PORT                  attach a virtio-net card on QEMU's user network,
#                             127.0.0.1:PORT forwarded to the guest's port 80
#                             (qemu.sh --nic)
#   with_iommu                the machine gets its VT-d IOMMU (qemu.sh --iommu)
#   net_exchange_start/_fetch/_check
#                             files both ways over the nic, MD5s compared
#                             (71-nic, 83-iommu; see the functions)
#   smp_machine N             a whole scenario: an N-CPU machine boots an N-VP
#                             guest (channels per CPU, offline/online, one verdict)
#   boot [--timeout S] [-- qemu args]   one QEMU run; sets $STATUS, $LOG
#   type_after REGEX TEXT     during the next boot, once a console line matches
#                             REGEX, type TEXT (and a newline) into the console
#   expect REGEX [what]       a log line must match (grep -E)
#   expect_not REGEX [what]   no log line may match
#   expect_status N           qemu.sh's exit status (verdict, 3, 124)
#   expect_order RE1 RE2      the first match of RE1 precedes the first of RE2
#   expect_host REGEX [what]  a line of the hypervisor's own log ($HOSTLOG.txt,
#                             written where the guest cannot) must match
#   expect_not_host REGEX     no line of it may match
#   expect_fatal_attack CASE N
#                             the attack module's fatal CASE ran and the run
#                             ended there, in its insmod (no "CASE FAIL" line,
#                             no guest checks), verdict N (the host's summary
#                             line and qemu.sh's status)
# A failed assertion marks the scenario failed; the runner prints the log tail.
SCENARIO_FAILED=0
ESP_EXTRA=()
ESP_DELETE=()
DISKS=()
NICS=()
CFG=$WORK/hv.cfg

config() { cat > "$CFG"; }
esp_add() { ESP_EXTRA+=("$1=$2"); }
esp_del() { ESP_DELETE+=("$1"); }
disk() { DISKS+=(--disk "$1${2:+,serial=$2}"); }
nic() { NICS+=(--nic "$1"); }
with_iommu() { NICS+=(--iommu); } # boot hands NICS to qemu.sh as they are
with_guest() {
    esp_add build/guest/vmlinuz hv/vmlinuz
    esp_add build/guest/initrd.cpio.gz hv/initrd
}
with_guest_modules() {
    local checks=
    [[ " $* " == *vmbhv_probe.ko* ]] && checks+=" guest/kmod/check-probe.sh"
    [[ " $* " == *vmbhv_attack.ko* ]] && checks+=" guest/kmod/check-attack.sh"
    if [ -n "$checks" ]; then # build.sh builds and checks both modules
        guest/kmod/build.sh > /dev/null || fail "guest/kmod/build.sh failed"
    fi
    EXTRA_CHECKS=$checks guest/mkinitramfs.sh "$WORK/initrd" "$@" > /dev/null
    esp_add build/guest/vmlinuz hv/vmlinuz
    esp_add "$WORK/initrd" hv/initrd
}
with_attack_module() {
    with_guest_modules build/guest/kmod/vmbhv_attack.ko
    config << CFG
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv_attack.cases=$1
CFG
}

boot() {
    local timeout=${E2E_TIMEOUT:-90} extra=()
    while (($#)); do
        case $1 in
        --timeout) timeout=$2; shift 2 ;;
        --) shift; extra=(-- "$@"); break ;;
        esac
    done
    [ -f "$CFG" ] || echo "# e2e default: no guest" > "$CFG"
    scripts/mkesp.sh "$WORK/esp.img" build/BOOTX64.EFI build/hv.elf "$CFG" "${ESP_EXTRA[@]}"
    local f
    for f in "${ESP_DELETE[@]}"; do mdel -i "$WORK/esp.img" "::/$f"; done
    local t0=$SECONDS console=(--quiet) typist= operator=
    if [ -n "${TYPE_RE:-}" ]; then
        : > "$LOG" # the typist reads it: not a previous run's
        console=(--pipe "$WORK/console")
        typist=$(type_into_console "$timeout")
    fi
    [ -n "${SCREEN:-}" ] && console+=(--screen "$SCREEN")
    if ((${#MONITOR_STEPS[@]})); then
        : > "$LOG"
        console+=(--monitor "$WORK/monitor")
        operator=$(operate_monitor "$timeout")
    fi
    scripts/qemu.sh --esp "$WORK/esp.img" --log "$LOG" --timeout "$timeout" "${console[@]}" \
        "${DISKS[@]}" "${NICS[@]}" "${extra[@]}" 2> "$WORK/qemu.err"
    STATUS=$?
    [ -n "$typist" ] && kill "$typist" 2> /dev/null
    [ -n "$operator" ] && kill "$operator" 2> /dev/null
    BOOT_SECONDS=$((SECONDS - t0))
    echo "boot took ${BOOT_SECONDS}s, qemu.sh status $STATUS"
    # serial output carries \r\n and firmware escape codes: keep a clean copy
    sed -e 's/\r$//' -e 's/\x1b\[[0-9;=]*[a-zA-Z]//g' "$LOG" > "$LOG.txt"
    HOSTLOG=$LOG.host
    sed -e 's/\r$//' "$HOSTLOG" > "$HOSTLOG.txt"
}

fail() {
    echo "  FAILED: $*"
    SCENARIO_FAILED=1
}

expect() {
    grep -Eq -- "$1" "$LOG.txt" || fail "no line matches /$1/${2:+ ($2)}"
}

expect_not() {
    grep -Eq -- "$1" "$LOG.txt" && fail "a line matches /$1/${2:+ ($2)}: $(grep -Em1 -- "$1" "$LOG.txt")"
    return 0
}

expect_host() {
    grep -Eq -- "$1" "$HOSTLOG.txt" || fail "no host log line matches /$1/${2:+ ($2)}"
}

expect_not_host() {
    grep -Eq -- "$1" "$HOSTLOG.txt" && fail "a host log line matches /$1/: $(grep -Em1 -- "$1" "$HOSTLOG.txt")"
    return 0
}

expect_status() {
    [ "$STATUS" = "$1" ] || fail "qemu.sh status $STATUS, expected $1 ($(cat "$WORK/qemu.err" | tail -n1))"
}

type_after() { TYPE_RE=$1 TYPE_TEXT=$2; }

# Starts the typist for type_after in the background and prints its pid: it
# drains the console's output FIFO, waits for TYPE_RE in the log, types.
type_into_console() {
    local fifo=$WORK/console
    rm -f "$fifo.in" "$fifo.out"
    mkfifo "$fifo.in" "$fifo.out"
    (
        cat "$fifo.out" > /dev/null &
        for ((i = 0; i < $1 * 2; i++)); do
            if grep -qE -- "$TYPE_RE" "$LOG" 2> /dev/null; then
                sleep 1
                printf '%s\n' "$TYPE_TEXT" > "$fifo.in"
                break
            fi
            sleep 0.5
        done
        wait
    ) > /dev/null 2>&1 &
    echo $!
}

# The machine gets a display adapter (qemu.sh --screen none): the GOP
# framebuffer the hypervisor shows the guest's video on, for screendump.
with_screen() { SCREEN=none; }

# monitor_after REGEX CMD...: once a console or host log line matches REGEX
# (after the previous step's), QEMU's monitor gets each CMD, the first a
# second after the line, the others 0.1 s apart (sendkey, screendump FILE,
# info ...). Steps run in the order given; what
# the monitor says is $WORK/monitor.log.
MONITOR_STEPS=()
monitor_after() {
    local re=$1 cmd
    shift
    for cmd in "$@"; do MONITOR_STEPS+=("$re"$'\t'"$cmd") re=; done
}

# type_keys_after REGEX TEXT: the machine's keyboard types TEXT and Enter
# (sendkey, one key at a time; letters, digits, space and - / . > = _ : ;).
type_keys_after() {
    local re=$1 text=$2 i c k keys=()
    for ((i = 0; i < ${#text}; i++)); do
        c=${text:i:1}
        case $c in
        [a-z0-9]) k=$c ;;
        ' ') k=spc ;; '-') k=minus ;; '/') k=slash ;; '.') k=dot ;; '=') k=equal ;;
        '>') k=shift-dot ;; '_') k=shift-minus ;; ':') k=shift-semicolon ;; ';') k=semicolon ;;
        *) fail "type_keys_after: no key for '$c'"; return ;;
        esac
        keys+=("sendkey $k")
    done
    monitor_after "$re" "${keys[@]}" "sendkey ret"
}

# Starts the operator for monitor_after in the background and prints its pid.
operate_monitor() {
    local m=$WORK/monitor
    rm -f "$m.in" "$m.out"
    mkfifo "$m.in" "$m.out"
    (
        cat "$m.out" > "$WORK/monitor.log" &
        exec 3> "$m.in" # held open: QEMU sees one session
        local step re cmd i
        for step in "${MONITOR_STEPS[@]}"; do
            re=${step%%$'\t'*} cmd=${step#*$'\t'}
            if [ -n "$re" ]; then
                for ((i = 0; i < $1 * 2; i++)); do
                    grep -qaE -- "$re" "$LOG" "$LOG.host" 2> /dev/null && break
                    sleep 0.5
                done
                sleep 1 # the line is out: what printed it may not be listening yet
            else
                sleep 0.1
            fi
            printf '%s\n' "$cmd" >&3
        done
        wait
    ) > /dev/null 2>&1 &
    echo $!
}

# screendump_pixel FILE X Y: "R G B" of a pixel of a binary PPM (P6, 8-bit)
# such as QEMU's screendump writes.
screendump_pixel() {
    local f=$1 x=$2 y=$3 magic w h max header
    read -r magic w h max < <(head -c 64 "$f" | tr -s ' \n' '  ' | cut -d' ' -f1-4)
    [ "$magic" = P6 ] && [ "$max" = 255 ] || { echo "not a P6 PPM"; return 1; }
    header=$(printf 'P6\n%s %s\n%s\n' "$w" "$h" "$max" | wc -c)
    od -An -tu1 -j $((header + (y * w + x) * 3)) -N 3 "$f" | xargs
}

expect_fatal_attack() {
    expect "vmbhv-attack: fatal $1: "
    expect_not "vmbhv-attack: $1 FAIL" "the machine went on after the attack"
    expect_not '^GUEST-CHECK done' "the run ended in insmod, not after the checks"
    expect_host "^hv: summary .*verdict=$2\$"
    expect_status "$2"
}

expect_order() {
    local a b
    a=$(grep -Enm1 -- "$1" "$LOG.txt" | cut -d: -f1)
    b=$(grep -Enm1 -- "$2" "$LOG.txt" | cut -d: -f1)
    [ -n "$a" ] && [ -n "$b" ] && ((a < b)) || fail "/$1/ (line ${a:-none}) not before /$2/ (line ${b:-none})"
}

# The value of key=value in the first line matching REGEX.
log_field() {
    grep -Em1 -- "$1" "$LOG.txt" | grep -o "$2=[^ ]*" | head -n1 | cut -d= -f2
}

# smp_machine N: an N-CPU machine (qemu.sh --smp via QEMU_SMP) boots an
# N-VP guest (docs/smp.md): every AP up before the boot is ready, each VP
# started by the guest's SIPI, the guest sees N CPUs, its channels'
# interrupts arrive on the CPU each names, moved to every CPU in turn, the
# last CPU goes offline and online again and takes interrupts, the ICs keep
# working, one verdict, and every host line whole whichever CPU wrote it.
smp_machine() {
    export QEMU_SMP=$1
    local last=$(($1 - 1)) c
    EXTRA_CHECKS=guest/extra-checks/85-smp.sh guest/mkinitramfs.sh "$WORK/initrd" hv_vmbus \
        hv_utils > /dev/null || fail "mkinitramfs failed"
    esp_add build/guest/vmlinuz hv/vmlinuz
    esp_add "$WORK/initrd" hv/initrd
    config << CFG
memory_mb = 512
vcpus = $1
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv.vcpus=$1
device = heartbeat name=hb
device = shutdown name=sd
device = timesync name=ts
CFG
    boot --timeout 400
    for i in $(seq 1 "$last"); do
        expect_host "^hv: smp: cpu $i \\(apic id [0-9]+\\) up$" "AP $i up"
        expect_host "^hv: vcpu: vp $i started by SIPI at 0x[0-9a-f]+$" "VP $i started"
    done
    expect_host "^hv: smp: $1 cpus\$"
    expect_host "^hv: guest: $1 VPs\$"
    expect_order "^hv: smp: $1 cpus\$" '^hv: boot: ready$'
    expect_not_host 'did not come up|cannot park|other CPUs not started'
    expect '^GUEST-CHECK kernel PASS 6\.1\.' "userspace reached"
    # the APIC MSRs offered (0x10) and their use recommended (hint 0x8)
    expect 'Hyper-V: privilege flags low 0xa76, high 0x30, hints 0x208, misc 0x100'
    expect 'Hyper-V: Using enlightened APIC \(xapic mode\)'
    expect "^GUEST-CHECK smp-cpus PASS online=$([ "$last" = 0 ] && echo 0 || echo "0-$last") want=$1\$"
    for c in $(seq 0 "$last"); do
        expect "^GUEST-CHECK smp-irq-cpu$c PASS channels=3 " "channel interrupts on CPU $c"
    done
    expect "^GUEST-CHECK smp-offline PASS cpu=$last "
    expect "^GUEST-CHECK smp-online PASS cpu=$last "
    expect_host "^hv: vcpu: vp $last reset by INIT: waits for a SIPI\$" "VP $last restarted"
    expect "^GUEST-CHECK smp-nmi PASS cpus=$(seq -s, 1 "$last")\$" "NMI IPIs reached every other CPU"
    [ "$(grep -c "^GUEST-CHECK smp-irq-cpu$last PASS" "$LOG.txt")" = 2 ] ||
        fail "CPU $last took no channel interrupts after it came back"
    expect '^GUEST-CHECK ic-heartbeat PASS'
    expect '^GUEST-CHECK done PASS'
    expect_host '^hv: guest: power-off \(ACPI S5\)$'
    expect_host '^hv: summary .*verdict=0$'
    local v bad
    v=$(grep -c 'hv: exit: verdict=' "$HOSTLOG.txt")
    [ "$v" = 1 ] || fail "$v verdict lines in the host's log, expected one"
    # whole lines only: every line of the host's record starts as a line
    # should, and none has another line's start inside it
    bad=$(grep -avc '^hv: ' "$HOSTLOG.txt")
    [ "$bad" = 0 ] || fail "$bad lines of the host's record do not start with 'hv: '"
    bad=$(grep -ac '.hv: [a-z]*: ' "$HOSTLOG.txt")
    [ "$bad" = 0 ] || fail "$bad lines of the host's record have another line inside"
    expect_not 'Kernel panic'
    expect_not_host '^hv: panic'
    expect_status 0
}

# The network both ways (71-nic, 83-iommu), in three steps around `config`
# and `boot`: net_exchange_start BYTES serves BYTES random bytes from the
# host's 127.0.0.1 (only) and attaches the card (nic); the guest's command
# line then needs $NET_GET (its checks fetch that file through the gateway
# and serve one). net_exchange_fetch, right before boot, has the host fetch
# the guest's file through the port forward once the guest serves.
# net_exchange_check BYTES, after boot: both copies' MD5s match the other
# side's.
net_exchange_start() {
    local port
    port=$(free_port) NET_HPORT=$(free_port)
    mkdir -p "$WORK/srv"
    head -c "$1" /dev/urandom > "$WORK/srv/blob"
    NET_HOST_MD5=$(md5sum < "$WORK/srv/blob" | cut -d' ' -f1)
    python3 -m http.server --bind 127.0.0.1 --directory "$WORK/srv" "$NET_HPORT" \
        > "$WORK/server.log" 2>&1 &
    NET_SERVER=$!
    NET_GET="vmbhv.net_get=$NET_HPORT/$NET_HOST_MD5"
    NET_FWD_PORT=$port
    nic "$port"
}
net_exchange_fetch() {
    : > "$LOG"
    (
        for _ in $(seq 600); do
            grep -q '^vmbhv-net: serving' "$LOG" 2> /dev/null && break
            sleep 0.5
        done
        python3 - "$NET_FWD_PORT" << 'PY'
import hashlib, sys, urllib.request
data = urllib.request.urlopen("http://127.0.0.1:%s/blob" % sys.argv[1], timeout=120).read()
print(len(data), hashlib.md5(data).hexdigest())
PY
    ) > "$WORK/fetched" 2> "$WORK/fetch.err" &
    NET_FETCHER=$!
}
net_exchange_check() {
    kill "$NET_SERVER" 2> /dev/null
    kill "$NET_FETCHER" 2> /dev/null && fail "the guest never served"
    wait "$NET_FETCHER" || fail "the host's fetch failed: $(tail -n 1 "$WORK/fetch.err")"
    expect "^GUEST-CHECK fetched PASS bytes=$1 md5=$NET_HOST_MD5 " "the guest's copy of the host's file"
    expect '^GUEST-CHECK served PASS'
    local guest_md5
    guest_md5=$(sed -n 's/^vmbhv-net: serving \([0-9]*\) bytes md5=\([0-9a-f]*\)$/\1 \2/p' "$LOG.txt" | head -n 1)
    [ -n "$guest_md5" ] && [ "$(cat "$WORK/fetched")" = "$guest_md5" ] ||
        fail "the host fetched '$(cat "$WORK/fetched")', the guest served '$guest_md5'"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
