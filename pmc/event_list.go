package pmc

import (
	"fmt"
	"strings"
)

// ParseEvents parses an event list the way [ParseEvents] does, looking PMU
// events up under s.Root.
func (s Sysfs) ParseEvents(list string) ([]Group, error) {
	items, err := splitList(list)
	if err != nil {
		return nil, fmt.Errorf("pmc: %w", err)
	}
	var groups []Group
	for _, it := range items {
		var g Group
		for _, tok := range it.events {
			e, err := s.parseEvent(tok)
			if err != nil {
				return nil, fmt.Errorf("pmc: %w", err)
			}
			if err := applyModifiers(&e, it.mods); err != nil {
				return nil, fmt.Errorf("pmc: group {%s}: %w", strings.Join(it.events, ","), err)
			}
			g = append(g, e)
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// listItem is an event or a {...} group of an event list, as written.
type listItem struct {
	events []string
	mods   string // a group's modifiers, after its '}'
}

// splitList splits an event list at its top-level commas, a {...} group
// being one item, commas between a PMU event's slashes being its own.
func splitList(list string) ([]listItem, error) {
	if strings.TrimSpace(list) == "" {
		return nil, fmt.Errorf("%w: empty event list", ErrSyntax)
	}
	var items []listItem
	i := 0
	for {
		for i < len(list) && list[i] == ' ' {
			i++
		}
		var it listItem
		if i < len(list) && list[i] == '{' {
			j := i + 1
			for {
				tok, n, err := scanEvent(list, j)
				if err != nil {
					return nil, err
				}
				it.events = append(it.events, tok)
				if n == len(list) {
					return nil, fmt.Errorf("%w %q: group at offset %d has no '}'", ErrSyntax, list, i)
				}
				j = n + 1
				if list[n] == '}' {
					break
				}
			}
			if j < len(list) && list[j] == ':' {
				k := j + 1
				for k < len(list) && list[k] != ',' {
					k++
				}
				it.mods, j = list[j+1:k], k
			}
			i = j
		} else {
			tok, n, err := scanEvent(list, i)
			if err != nil {
				return nil, err
			}
			it.events = []string{tok}
			i = n
		}
		items = append(items, it)
		if i == len(list) {
			return items, nil
		}
		if list[i] != ',' {
			return nil, fmt.Errorf("%w %q: unexpected %q at offset %d", ErrSyntax, list, list[i], i)
		}
		i++
	}
}

// scanEvent returns the event that starts at offset i of list, trimmed,
// and the offset of the ',' or '}' that ends it (or len(list)).
func scanEvent(list string, i int) (string, int, error) {
	slashes, j := 0, i
	for ; j < len(list); j++ {
		c := list[j]
		if c == '/' {
			slashes++
		}
		if slashes%2 == 1 {
			continue
		}
		if c == ',' || c == '}' {
			break
		}
		if c == '{' {
			return "", 0, fmt.Errorf("%w %q: '{' inside an event or group at offset %d", ErrSyntax, list, j)
		}
	}
	tok := strings.TrimSpace(list[i:j])
	switch {
	case slashes%2 == 1:
		return "", 0, fmt.Errorf("%w %q: event %q has an unmatched '/'", ErrSyntax, list, tok)
	case tok == "":
		return "", 0, fmt.Errorf("%w %q: empty event at offset %d", ErrSyntax, list, i)
	}
	return tok, j, nil
}
