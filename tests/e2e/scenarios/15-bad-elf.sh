# A truncated hv.elf is refused before anything is handed over.
head -c 3000 build/hv.elf > "$WORK/hv.elf"
esp_add "$WORK/hv.elf" hv/hv.elf
boot --timeout 60
expect '^boot: error: hv/hv.elf: truncated: a segment runs past the end of the file$'
expect_not '^hv: '
expect_status 2
