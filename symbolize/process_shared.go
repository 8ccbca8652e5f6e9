package symbolize

import (
	"bytes"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// inodeKey names a file by device, inode, size and modification time: a
// file rewritten in place keeps its inode, not its size and time.
type inodeKey struct {
	dev, inode uint64
	size       int64
	mtime      int64
}

func inodeKeyOf(st *unix.Stat_t) inodeKey {
	return inodeKey{st.Dev, st.Ino, st.Size, st.Mtim.Nano()}
}

// vdsoKey tells vDSO images apart: the kernel has one per kind of process
// (64-bit, mapped above 4 GiB; 32-bit and x32, below), of a size of its
// own.
type vdsoKey struct {
	size uint64
	high bool
}

// sharedFile is an open file some snapshots hold.
type sharedFile struct {
	mf   mappedFile // as the first snapshot opened it; path is per process
	refs int
}

var shared = struct {
	sync.Mutex
	files map[inodeKey]*sharedFile
	vdso  map[vdsoKey]*mappedFile // the vDSO images read
}{files: map[inodeKey]*sharedFile{}, vdso: map[vdsoKey]*mappedFile{}}

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

// hold returns another hold on mf's file, for a second snapshot, released
// on its own. (An open file is always shared; the vDSO's image and a file
// that could not be opened hold nothing.)
func (mf *mappedFile) hold() *mappedFile {
	out := *mf
	if mf.shared != nil {
		shared.Lock()
		mf.shared.refs++
		shared.Unlock()
	}
	return &out
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

// knownVDSO returns the vDSO image of kind k already read, seen at path,
// or nil.
func knownVDSO(k vdsoKey, path string) *mappedFile {
	shared.Lock()
	defer shared.Unlock()
	v := shared.vdso[k]
	if v == nil {
		return nil
	}
	out := *v
	out.path = path
	return &out
}

// sharedVDSO returns the vDSO image of kind k already read if img is the
// same, else keeps mf, with a copy of img, as the one to share.
func sharedVDSO(k vdsoKey, img []byte, mf *mappedFile) *mappedFile {
	shared.Lock()
	defer shared.Unlock()
	if v := shared.vdso[k]; v != nil && bytes.Equal(v.image, img) {
		out := *v
		out.path = mf.path
		return &out
	}
	mf.image = bytes.Clone(img)
	mf.r = bytes.NewReader(mf.image)
	mf.key = fileKey{size: int64(len(img))}
	mf.setBuildID()
	shared.vdso[k] = mf
	return mf
}
