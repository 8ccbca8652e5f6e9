package symbolize

import (
	"bytes"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// inodeKey names a file by device, inode, size and modification time.
type inodeKey struct {
	dev, inode uint64
	size       int64
	mtime      int64
}

func inodeKeyOf(st *unix.Stat_t) inodeKey {
	return inodeKey{st.Dev, st.Ino, st.Size, st.Mtim.Nano()}
}

// sharedFile is an open file some snapshots hold.
type sharedFile struct {
	mf   mappedFile // as the first snapshot opened it; path is per process
	refs int
}

var shared = struct {
	sync.Mutex
	files map[inodeKey]*sharedFile
	vdso  *mappedFile // the last vDSO image read
}{files: map[inodeKey]*sharedFile{}}

// acquireShared returns the mappedFile of an open file with this identity,
// seen at path, or nil when no snapshot holds it.
func acquireShared(k inodeKey, path string) *mappedFile {
	shared.Lock()
	defer shared.Unlock()
	s := shared.files[k]
	if s == nil {
		return nil
	}
	s.refs++
	mf := s.mf
	mf.path = path
	mf.shared = s
	return &mf
}

// share registers a file a snapshot just opened; if another snapshot
// registered the same file meanwhile, it closes this copy and uses that one.
func share(k inodeKey, mf *mappedFile) *mappedFile {
	shared.Lock()
	defer shared.Unlock()
	if s := shared.files[k]; s != nil {
		mf.f.Close()
		s.refs++
		out := s.mf
		out.path, out.shared = mf.path, s
		return &out
	}
	s := &sharedFile{mf: *mf, refs: 1}
	shared.files[k] = s
	mf.shared = s
	return mf
}

// release drops a snapshot's hold on its file, closing it with the last.
func (mf *mappedFile) release() error {
	if mf.shared == nil {
		if mf.f != nil {
			return mf.f.Close()
		}
		return nil
	}
	shared.Lock()
	defer shared.Unlock()
	s := mf.shared
	mf.shared = nil
	if s.refs--; s.refs > 0 {
		return nil
	}
	for k, v := range shared.files {
		if v == s {
			delete(shared.files, k)
			break
		}
	}
	if err := s.mf.f.Close(); err != nil {
		return fmt.Errorf("symbolize: %w", err)
	}
	return nil
}

// sharedVDSO returns the vDSO image already read if img is the same, else
// keeps mf, with a copy of img, as the one to share.
func sharedVDSO(img []byte, mf *mappedFile) *mappedFile {
	shared.Lock()
	defer shared.Unlock()
	if v := shared.vdso; v != nil && bytes.Equal(v.image, img) {
		out := *v
		out.path = mf.path
		return &out
	}
	mf.image = bytes.Clone(img)
	shared.vdso = mf
	return mf
}
