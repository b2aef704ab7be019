# A person at the machine (docs/video.md): the stock hyperv_fb binds to
# vmbhv's video device and hyperv-keyboard to its keyboard; the VRAM lies in
# the frame-buffer region the hypervisor granted the channel and is mmio_mb
# big; keys typed with QEMU's sendkey run fbpattern in the framebuffer
# console's shell, and the pattern it draws into /dev/fb0 is in QEMU's
# screendump of the GOP framebuffer where it was drawn (the loader set the
# GOP to the guest's 1024x768: 1:1).
# VIDEO_PERSON=0 (49): the video device alone, the check draws, no screendump.
MMIO_MB=${VIDEO_MMIO_MB:-8} PERSON=${VIDEO_PERSON:-1}
EXTRA_CHECKS=guest/extra-checks/40-video.sh guest/mkinitramfs.sh "$WORK/initrd" hv_vmbus hyperv_fb \
    $( ((PERSON)) && echo hyperv_keyboard) > /dev/null || fail "mkinitramfs failed"
esp_add build/guest/vmlinuz hv/vmlinuz
esp_add "$WORK/initrd" hv/initrd
config << CFG
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check $( ((PERSON)) && echo vmbhv.fb_typed=90 vmbhv.screen_wait=3)
device = video name=fb mmio_mb=$MMIO_MB
$( ((PERSON)) && echo device = keyboard name=kbd)
CFG
with_screen
if ((PERSON)); then
    type_keys_after '^vmbhv-video: waiting for keys' "fbpattern >/tmp/fbpattern.out"
    monitor_after '^GUEST-CHECK fbpattern ' "screendump $WORK/screen.ppm"
fi
boot --timeout 240
expect_host "^hv: mmio: fb required=${MMIO_MB}MiB granted the frame-buffer region 0xf8000000-0xfbffffff "
expect_host '^hv: screen: showing the guest.s video on the GOP 1024x768 '
expect 'hyperv_fb: Synthvid Version major 3, minor 5'
expect_not 'hyperv_fb: .*([Tt]ime out|[Ff]ail|[Uu]nable)'
expect_not 'WARNING:|Oops|BUG:|Call Trace|Kernel panic'
line=$(grep -Em1 '^GUEST-CHECK video ' "$LOG.txt")
echo "  guest: $line"
expect "^GUEST-CHECK video PASS fb0=hyperv_fb vram=[0-9a-f]+-[0-9a-f]+ size_mb=$MMIO_MB mode=1024,768"
vram=$(log_field '^GUEST-CHECK video ' vram)
if [ -n "$vram" ]; then
    start=$((0x${vram%-*})) end=$((0x${vram#*-}))
    ((start >= 0xf8000000 && end <= 0xfbffffff)) || fail "VRAM $vram outside the granted region"
    expect_host "^hv: video: fb: VRAM at 0x0*${vram%-*}-0x0*${vram#*-} \($MMIO_MB MiB\) backed"
fi
expect '^GUEST-CHECK fbpattern PASS fbpattern: drawn rows 400-655 width 1024'
# the pattern on the machine's screen: red left, blue right, the console above
if ((!PERSON)); then
    : # 48 looks at the screen
elif [ -s "$WORK/screen.ppm" ]; then
    for p in "100 400 255 0 0" "500 655 255 0 0" "600 500 0 0 255" "1023 655 0 0 255" \
        "100 700 0 0 0" "600 399 0 0 0"; do
        set -- $p
        got=$(screendump_pixel "$WORK/screen.ppm" "$1" "$2")
        [ "$got" = "$3 $4 $5" ] || fail "screendump pixel ($1,$2) is '$got', expected '$3 $4 $5'"
    done
    # the typed command is the fifth text line (16-pixel rows; busybox banner, blank, prompt)
    header=$(head -c 20 "$WORK/screen.ppm" | head -n 3 | wc -c)
    lit=$(for y in $(seq 80 95); do
        od -An -tu1 -v -j $((header + y * 1024 * 3)) -N $((300 * 3)) "$WORK/screen.ppm"
    done | tr -s ' ' '\n' | awk '$1 > 100 { n++ } END { print n + 0 }')
    ((lit > 1000)) || fail "the typed command is not on the screen (lit bytes: $lit)"
else
    fail "no screendump ($(tail -n 3 "$WORK/monitor.log" 2> /dev/null))"
fi
expect_host '^hv: summary .* screen_flushes=[1-9][0-9]* '
expect '^GUEST-CHECK done PASS'
expect_status 0
