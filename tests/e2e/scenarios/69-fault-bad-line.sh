# A bad fault line stops the loader with the line and what is wrong, before
# anything boots.
config << 'CFG'
device = test name=t
# a channel that no device line names
fault = always drop channel=nosuch
CFG
boot --timeout 60
expect_status 2
expect "^boot: error: hv/hv.cfg:3: fault: channel names no configured device: 'nosuch'$"
expect_not "^hv: "
