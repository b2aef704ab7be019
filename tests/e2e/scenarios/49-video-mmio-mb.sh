# 48-video with another mmio_mb: the guest's VRAM follows the offer (16 MiB
# now), still inside the frame-buffer region granted to the channel.
VIDEO_MMIO_MB=16
. tests/e2e/scenarios/48-video.sh
