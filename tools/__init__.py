"""Everything beside the package, by what it is for: commands a user runs (`commands`), the test
harness (`harness`), benchmarks (`bench`), generators of checked-in files (`generate`) and the engine
build and local cluster (`engine`)."""
