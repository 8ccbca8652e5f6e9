package profile

// NextCommandCgroupSeq returns the number the next cgroup made for a
// command takes (flamekit-<pid>-<seq>), unless that name is taken.
func NextCommandCgroupSeq() uint64 { return cgroupSeq.Load() + 1 }
