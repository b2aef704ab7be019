# A CPU without SVM: said plainly, and the run stops with verdict 2.
boot --timeout 60 -- -cpu max,-svm
expect '^hv: svm: not supported: CPUID 0x80000001 ECX\[2\] \(SVM\) is clear$'
expect_not 'hv: svm: enabled'
expect_status 2
