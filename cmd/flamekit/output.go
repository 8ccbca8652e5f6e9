package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// output is where a command writes its result: stdout, or a file that
// appears whole or not at all. openOutput checks the file can be written
// before the command does any work; finish puts it in place or removes it.
type output struct {
	w       io.Writer
	path    string   // the -o file as given; "" for stdout
	target  string   // path with symbolic links resolved: what the rename replaces
	tmp     *os.File // the temporary file in target's directory, or the device written in place
	inPlace bool     // tmp is target itself (a device or FIFO, which a rename would replace)
	stdout  io.Writer
}

// openOutput opens the -o file for writing, or stdout for "" and "-". A
// regular file is written to a temporary file in the same directory,
// renamed into place by finish (an existing file's mode and owner carry
// over); a device or FIFO (-o /dev/null) is written
// in place. Errors (no such directory, no permission, a directory) come
// now, before anything is computed. A regular file's big writes reserve
// their blocks first (preallocating).
func openOutput(path string, stdout io.Writer) (*output, error) {
	if path == "" || path == "-" {
		return &output{w: preallocating(stdout), stdout: stdout}, nil
	}
	o := &output{path: path, target: path}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		o.target = real
	}
	st, err := os.Stat(o.target)
	switch {
	case err == nil && st.IsDir():
		return nil, fmt.Errorf("cannot write %s: is a directory", path)
	case err == nil && !st.Mode().IsRegular():
		if o.tmp, err = os.OpenFile(o.target, os.O_WRONLY, 0); err != nil {
			return nil, fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
		}
		o.inPlace = true
	default:
		if o.tmp, err = createTemp(o.target); err != nil {
			return nil, fmt.Errorf("cannot write %s: %w", path, err)
		}
		if st != nil { // the file it replaces keeps its mode and, where allowed, owner
			o.tmp.Chmod(st.Mode().Perm())
			if sys, ok := st.Sys().(*syscall.Stat_t); ok {
				o.tmp.Chown(int(sys.Uid), int(sys.Gid))
			}
		}
	}
	o.w = preallocating(o.tmp)
	return o, nil
}

// createTemp creates a new, empty file next to target, named after it and
// hidden, with the permissions os.Create would give (0666 less the umask).
func createTemp(target string) (*os.File, error) {
	dir, base := filepath.Split(target)
	for range 100 {
		name := filepath.Join(dir, "."+base+"."+strconv.FormatUint(rand.Uint64(), 36)+".tmp")
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no such directory %s", filepath.Clean(dir))
		}
		if err != nil {
			return nil, unwrapPath(err) // the made-up name would confuse
		}
		return f, nil
	}
	return nil, errors.New("cannot make a temporary file name")
}

// unwrapPath returns the error of a *fs.PathError, without its path.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Write writes to the output.
func (o *output) Write(p []byte) (int, error) { return o.w.Write(p) }

// finish ends the output after the command wrote it, with err the
// command's error. Without an error the file is closed and renamed into
// place, and stdout is closed when it is a file, so that an error only
// close reports is seen. With one (or when closing fails), the temporary
// file is removed: a failure leaves no file behind. It returns err joined
// with any error of its own.
func (o *output) finish(err error) error {
	if o.tmp == nil {
		if f, ok := o.stdout.(*os.File); ok && err == nil {
			if cerr := f.Close(); cerr != nil {
				return fmt.Errorf("stdout: %w", cerr)
			}
		}
		return err
	}
	cerr := o.tmp.Close()
	switch {
	case o.inPlace:
	case err == nil && cerr == nil:
		cerr = os.Rename(o.tmp.Name(), o.target)
		if cerr != nil {
			os.Remove(o.tmp.Name())
		}
	default:
		os.Remove(o.tmp.Name())
	}
	if err == nil && cerr != nil {
		return fmt.Errorf("writing %s: %w", o.path, cerr)
	}
	return err
}
