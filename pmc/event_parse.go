package pmc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ParseEvent parses one event the way [ParseEvent] does, looking PMU events
// up under s.Root.
func (s Sysfs) ParseEvent(str string) (Event, error) {
	tok, n, err := scanEvent(str, 0)
	if err == nil && n != len(str) {
		err = fmt.Errorf("%w %q: one event expected (ParseEvents takes lists and groups)", ErrSyntax, str)
	}
	if err != nil {
		return Event{}, fmt.Errorf("pmc: %w", err)
	}
	e, err := s.parseEvent(tok)
	if err != nil {
		return Event{}, fmt.Errorf("pmc: %w", err)
	}
	return e, nil
}

// parseEvent parses one event with its modifiers; its errors carry no
// package prefix.
func (s Sysfs) parseEvent(tok string) (Event, error) {
	var e Event
	var mods string
	if pmu, rest, isPMU := strings.Cut(tok, "/"); isPMU {
		terms, tail, _ := strings.Cut(rest, "/")
		if strings.Contains(tail, "/") {
			return Event{}, fmt.Errorf("%w %q: text after the closing '/'", ErrSyntax, tok)
		}
		terms, set, err := cutSettings(terms)
		if err != nil {
			return Event{}, fmt.Errorf("%w of %q", err, tok)
		}
		if e, err = s.slashEvent(strings.TrimSpace(pmu), terms); err != nil {
			return Event{}, err
		}
		mods = strings.TrimPrefix(tail, ":")
		if err := applyModifiers(&e, mods); err != nil {
			return Event{}, err
		}
		e.Name = tok
		if set.name != "" {
			e.Name = set.name
		}
		e.Period, e.Freq = set.period, set.freq
		return e, nil
	} else {
		name, m, _ := strings.Cut(tok, ":")
		var err error
		if e, err = s.namedEvent(name); err != nil {
			if errors.Is(err, ErrUnknownEvent) && strings.Trim(m, modifierLetters) != "" {
				return Event{}, fmt.Errorf("%w %q: tracepoints (subsystem:event) are not supported, and %q are not modifiers (%s)", ErrUnknownEvent, tok, m, modifierLetters)
			}
			return Event{}, err
		}
		mods = m
	}
	e.Name = tok
	if err := applyModifiers(&e, mods); err != nil {
		return Event{}, err
	}
	return e, nil
}

// slashEvent returns the event name/terms/ names: a PMU's (PMU/terms/), or
// a named event's with no terms but settings ("cpu-clock/period=1000/",
// whose settings cutSettings took out).
func (s Sysfs) slashEvent(name, terms string) (Event, error) {
	e, err := s.pmuEvent(name, terms)
	if !errors.Is(err, ErrUnknownPMU) {
		return e, err
	}
	named, nerr := s.namedEvent(name)
	if nerr != nil {
		return Event{}, err // not a PMU, nor an event: say which PMUs there are
	}
	if strings.TrimSpace(terms) != "" {
		return Event{}, fmt.Errorf("%w %q of %s/%s/: an event that is not a PMU takes only the terms name, period and freq", ErrBadTerm, terms, name, terms)
	}
	return named, nil
}

// settings are the terms of an event between slashes that are not its
// configuration but how it is used: name=, period= and freq=, as perf takes
// them.
type settings struct {
	name         string
	period, freq uint64
}

// cutSettings takes the settings out of terms and returns the other terms.
func cutSettings(terms string) (string, settings, error) {
	var set settings
	var rest []string
	for _, t := range strings.Split(terms, ",") {
		k, v, _ := strings.Cut(t, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "name":
			if v == "" {
				return "", set, fmt.Errorf("%w name: an empty name", ErrBadTerm)
			}
			set.name = v
		case "period", "freq":
			n, err := strconv.ParseUint(v, 0, 64)
			if err != nil || n == 0 {
				return "", set, fmt.Errorf("%w %s=%q: not a positive number", ErrBadTerm, k, v)
			}
			if k == "period" {
				set.period = n
			} else {
				set.freq = n
			}
		default:
			rest = append(rest, t)
		}
	}
	if set.period != 0 && set.freq != 0 {
		return "", set, fmt.Errorf("%w: period and freq together (one or the other)", ErrBadTerm)
	}
	return strings.Join(rest, ","), set, nil
}

// namedEvent returns the event called name: a generic hardware or software
// event, a hardware cache event, a raw rNNNN event or a PMU's alias.
func (s Sysfs) namedEvent(name string) (Event, error) {
	if name == "" {
		return Event{}, fmt.Errorf("%w: empty event name", ErrSyntax)
	}
	if g, ok := lookupGeneric(name); ok {
		return Event{Type: g.typ, Config: g.config, Sampleable: true}, nil
	}
	config, found, err := lookupCache(name)
	if err != nil {
		return Event{}, err
	}
	if found {
		return Event{Type: unix.PERF_TYPE_HW_CACHE, Config: config, Sampleable: true}, nil
	}
	if hex, ok := strings.CutPrefix(name, "r"); ok && len(hex) > 0 && len(hex) <= 16 {
		if v, err := strconv.ParseUint(hex, 16, 64); err == nil {
			return Event{Type: unix.PERF_TYPE_RAW, Config: v, Sampleable: true}, nil
		}
	}
	return s.aliasEvent(name)
}

// aliasEvent returns the event a PMU's events/ directory names, when one
// PMU (or the cpu PMU among several) has it.
func (s Sysfs) aliasEvent(name string) (Event, error) {
	pmus, _ := s.PMUs() // an unreadable tree only means fewer names
	var have []string
	for _, p := range pmus {
		if _, ok := p.Events[name]; ok {
			have = append(have, p.Name)
		}
	}
	switch {
	case len(have) == 1:
		return s.pmuEvent(have[0], name)
	case len(have) > 1:
		for _, p := range have {
			if p == "cpu" {
				return s.pmuEvent(p, name)
			}
		}
		return Event{}, fmt.Errorf("%w %q: several PMUs have it (%s): name one, as in %s/%s/", ErrUnknownEvent, name, strings.Join(have, ", "), have[0], name)
	}
	msg := fmt.Sprintf("%q", name)
	if close := closeNames(name, knownNames(pmus)); len(close) > 0 {
		msg += " (did you mean " + strings.Join(close, ", ") + "?)"
	}
	return Event{}, fmt.Errorf("%w %s", ErrUnknownEvent, msg)
}

// pmuEvent returns the event PMU/terms/ names.
func (s Sysfs) pmuEvent(pmu, terms string) (Event, error) {
	p, err := s.readPMU(pmu)
	if err != nil {
		return Event{}, err
	}
	e := Event{PMU: p.Name, Type: p.Type, Sampleable: p.Sampleable()}
	vals := map[string]uint64{}
	var order []string
	set := func(k string, v uint64) {
		if _, ok := vals[k]; !ok {
			order = append(order, k)
		}
		vals[k] = v
	}
	if err := p.collectTerms(terms, &e, set, true); err != nil {
		return Event{}, err
	}
	configs := map[string]*uint64{"config": &e.Config, "config1": &e.Config1, "config2": &e.Config2}
	for _, k := range order {
		v := vals[k]
		if dst, ok := configs[k]; ok {
			*dst |= v
			continue
		}
		f := p.Formats[k]
		placed, ok := f.place(v)
		if !ok {
			return Event{}, fmt.Errorf("%w %s=%#x of %s/%s/: the value is wider than the field's %d bits", ErrBadTerm, k, v, pmu, terms, f.Width())
		}
		if dst, ok := configs[f.Field]; ok {
			*dst |= placed
		}
	}
	return e, nil
}

// collectTerms passes each term=value of terms to set (a bare term means
// term=1), expanding the PMU's aliases (one level deep, as sysfs writes
// them) and taking their scale and unit.
func (p PMU) collectTerms(terms string, e *Event, set func(string, uint64), aliases bool) error {
	if strings.TrimSpace(terms) == "" {
		return nil
	}
	for _, t := range strings.Split(terms, ",") {
		k, v, hasValue := strings.Cut(strings.TrimSpace(t), "=")
		k = strings.TrimSpace(k)
		if a, ok := p.Events[k]; ok && aliases && !hasValue {
			if err := p.collectTerms(a.Terms, e, set, false); err != nil {
				return fmt.Errorf("alias %s/%s/ (%s): %w", p.Name, k, a.Terms, err)
			}
			e.Scale, e.Unit = a.Scale, a.Unit
			continue
		}
		_, isFormat := p.Formats[k]
		if !isFormat && k != "config" && k != "config1" && k != "config2" {
			return fmt.Errorf("%w %q: PMU %s has no such format term or event (%s)", ErrBadTerm, k, p.Name, p.termList())
		}
		val := uint64(1)
		if hasValue {
			var err error
			if val, err = strconv.ParseUint(strings.TrimSpace(v), 0, 64); err != nil {
				return fmt.Errorf("%w %q: value %q is not a number", ErrBadTerm, k, v)
			}
		}
		set(k, val)
	}
	return nil
}

// termList describes what a PMU's terms may name, for errors.
func (p PMU) termList() string {
	terms := []string{"config", "config1", "config2"}
	for k := range p.Formats {
		terms = append(terms, k)
	}
	sortStrings(terms)
	s := "terms: " + strings.Join(terms, ", ")
	if len(p.Events) > 0 {
		var evs []string
		for k := range p.Events {
			evs = append(evs, k)
		}
		sortStrings(evs)
		s += "; events: " + strings.Join(evs, ", ")
	}
	return s
}
