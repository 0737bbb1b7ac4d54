package keystore

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

const (
	// Day and Year are the calendar-free units of lifetimes: a year is 365 days.
	Day  = 24 * time.Hour
	Year = 365 * Day

	// DefaultLifetime applies when a create names no expires_in.
	DefaultLifetime = 90 * Day
	// MaxLifetimeCeiling is the longest lifetime an operator may allow.
	MaxLifetimeCeiling = Year
	// MinLifetime is the shortest lifetime a key may have.
	MinLifetime = time.Hour
	// MaxGracePeriod bounds how long a rotated key keeps working.
	MaxGracePeriod = 7 * Day
)

// ParseDuration reads the duration forms of the contract: "Nh", "Nd" and
// "Ny" (365 days), with N a whole number of at most six digits. Unlike
// time.ParseDuration it has days, and it has no fractions or mixed units, so
// that what a user types is what they get.
func ParseDuration(s string) (time.Duration, error) {
	if len(s) < 2 || len(s) > 7 {
		return 0, fmt.Errorf("want a whole number followed by h, d or y, such as 12h, 30d or 1y")
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 'h':
		unit = time.Hour
	case 'd':
		unit = Day
	case 'y':
		unit = Year
	default:
		return 0, fmt.Errorf("want a whole number followed by h, d or y, such as 12h, 30d or 1y")
	}
	digits := s[:len(s)-1]
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, fmt.Errorf("want a whole number followed by h, d or y, such as 12h, 30d or 1y")
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("want a whole number followed by h, d or y, such as 12h, 30d or 1y")
	}
	if n > math.MaxInt64/int64(unit) {
		// 999999d would wrap around to a negative duration.
		return 0, fmt.Errorf("too long: at most %d%c", math.MaxInt64/int64(unit), s[len(s)-1])
	}
	return time.Duration(n) * unit, nil
}

// FormatDuration writes d in the largest unit of ParseDuration that divides
// it, so messages speak the user's language ("365d" reads as "1y").
func FormatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d%Year == 0:
		return strconv.FormatInt(int64(d/Year), 10) + "y"
	case d%Day == 0:
		return strconv.FormatInt(int64(d/Day), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	}
	return d.String()
}

// parseLifetime reads expires_in: from 1h up to max.
func parseLifetime(s string, max time.Duration) (time.Duration, error) {
	d, err := ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d < MinLifetime || d > max {
		return 0, fmt.Errorf("must be from 1h to %s (presets: 7d, 30d, 90d, 1y); every key expires", FormatDuration(max))
	}
	return d, nil
}

// parseGrace reads grace_period: "0" (the old key stops at once) up to 7d.
func parseGrace(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	d, err := ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want 0 or a whole number followed by h or d, such as 1h or 2d")
	}
	if d > MaxGracePeriod {
		return 0, fmt.Errorf("must be at most 7d")
	}
	return d, nil
}
