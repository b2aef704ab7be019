# SVM without nested paging is refused too.
boot --timeout 60 -- -cpu max,+svm,-npt
expect '^hv: svm: not supported: nested paging \(CPUID 0x8000000A EDX\[0\]\) is missing$'
expect_status 2
