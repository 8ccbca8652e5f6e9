package pmc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// DefaultSysfs is the kernel's tree of PMUs.
var DefaultSysfs = Sysfs{Root: "/sys/bus/event_source/devices"}

// Sysfs is a tree of PMUs laid out as /sys/bus/event_source/devices: one
// directory per PMU with its type, format/ and events/. Tests point Root at
// a recorded tree.
type Sysfs struct {
	Root string
}

// PMU is one performance monitoring unit as sysfs describes it.
type PMU struct {
	Name    string
	Type    uint32            // perf_event_attr.type for its events
	Formats map[string]Format // format/ files by name: "event", "umask", ...
	Events  map[string]Alias  // events/ files by name: "cpu-cycles", "tsc", ...
}

// Alias is a named event of a PMU (a file under its events/ directory).
type Alias struct {
	Terms string  // "event=0x3c", "event=0xcd,umask=0x1,ldlat=3"
	Scale float64 // from name.scale; 0 when absent
	Unit  string  // from name.unit
}

// PMUNames returns the names of the PMUs under Root, sorted.
func (s Sysfs) PMUNames() ([]string, error) {
	ents, err := os.ReadDir(s.Root)
	if err != nil {
		return nil, fmt.Errorf("pmc: reading PMUs: %w", err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names, nil
}

// PMU reads the PMU called name; an error wrapping ErrUnknownPMU when Root
// has no such PMU.
func (s Sysfs) PMU(name string) (PMU, error) {
	p, err := s.readPMU(name)
	if err != nil {
		return PMU{}, fmt.Errorf("pmc: %w", err)
	}
	return p, nil
}

// readPMU is PMU without the package prefix on its errors.
func (s Sysfs) readPMU(name string) (PMU, error) {
	if name == "" || strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
		return PMU{}, fmt.Errorf("%w %q", ErrUnknownPMU, name)
	}
	dir := filepath.Join(s.Root, name)
	raw, err := os.ReadFile(filepath.Join(dir, "type"))
	if errors.Is(err, fs.ErrNotExist) {
		known, _ := s.PMUNames()
		return PMU{}, fmt.Errorf("%w %q (PMUs here: %s)", ErrUnknownPMU, name, strings.Join(known, ", "))
	}
	if err != nil {
		return PMU{}, fmt.Errorf("PMU %s: %w", name, err)
	}
	typ, err := strconv.ParseUint(strings.TrimSpace(string(raw)), 10, 32)
	if err != nil {
		return PMU{}, fmt.Errorf("PMU %s: %w: type %q", name, ErrSyntax, strings.TrimSpace(string(raw)))
	}
	p := PMU{Name: name, Type: uint32(typ), Formats: map[string]Format{}, Events: map[string]Alias{}}
	if err := p.readFormats(filepath.Join(dir, "format")); err != nil {
		return PMU{}, err
	}
	if err := p.readEvents(filepath.Join(dir, "events")); err != nil {
		return PMU{}, err
	}
	return p, nil
}

// PMUs reads every PMU under Root.
func (s Sysfs) PMUs() ([]PMU, error) {
	names, err := s.PMUNames()
	if err != nil {
		return nil, err
	}
	var pmus []PMU
	for _, n := range names {
		p, err := s.readPMU(n)
		if errors.Is(err, ErrUnknownPMU) {
			continue // a directory without a type file is not a PMU
		}
		if err != nil {
			return nil, fmt.Errorf("pmc: %w", err)
		}
		pmus = append(pmus, p)
	}
	return pmus, nil
}

// readFormats reads the format/ directory, absent for PMUs without fields
// (software, tracepoint).
func (p *PMU) readFormats(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("PMU %s: %w", p.Name, err)
	}
	for _, e := range ents {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return fmt.Errorf("PMU %s: %w", p.Name, err)
		}
		f, err := parseFormat(string(raw))
		if err != nil {
			return fmt.Errorf("PMU %s: format %s: %w", p.Name, e.Name(), err)
		}
		p.Formats[e.Name()] = f
	}
	return nil
}

// readEvents reads the events/ directory and each event's .scale and .unit.
func (p *PMU) readEvents(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("PMU %s: %w", p.Name, err)
	}
	for _, e := range ents {
		name := e.Name()
		if strings.Contains(name, ".") {
			continue // name.scale, name.unit, name.per-pkg, name.snapshot
		}
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("PMU %s: %w", p.Name, err)
		}
		a := Alias{Terms: strings.TrimSpace(string(raw))}
		if raw, err := os.ReadFile(filepath.Join(dir, name+".scale")); err == nil {
			a.Scale, err = strconv.ParseFloat(strings.TrimSpace(string(raw)), 64)
			if err != nil {
				return fmt.Errorf("PMU %s: event %s: %w: scale %q", p.Name, name, ErrSyntax, strings.TrimSpace(string(raw)))
			}
		}
		if raw, err := os.ReadFile(filepath.Join(dir, name+".unit")); err == nil {
			a.Unit = strings.TrimSpace(string(raw))
		}
		p.Events[name] = a
	}
	return nil
}

// Sampleable reports whether the PMU's events can be sampled: PMUs without
// an overflow interrupt (msr, RAPL's power, the C-state and uncore PMUs)
// can only be counted.
func (p PMU) Sampleable() bool {
	switch p.Name {
	case "msr", "power", "power_core", "cstate_core", "cstate_pkg", "cstate_module":
		return false
	}
	for _, prefix := range []string{"uncore", "amd_df", "amd_l3", "amd_umc", "amd_iommu"} {
		if strings.HasPrefix(p.Name, prefix) {
			return false
		}
	}
	return true
}
