# 48-video with another mmio_mb: the guest's VRAM follows the offer (16 MiB
# now), still inside the frame-buffer region granted to the channel (the
# video device alone: 48 types and looks at the screen).
VIDEO_MMIO_MB=16 VIDEO_PERSON=0
. tests/e2e/scenarios/48-video.sh
