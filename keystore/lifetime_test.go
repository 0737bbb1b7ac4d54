package keystore

import (
	"testing"
	"time"
)

func TestParseLifetime(t *testing.T) {
	tests := []struct {
		in   string
		max  time.Duration
		want time.Duration // 0: an error
	}{
		{"7d", Year, 7 * Day},
		{"30d", Year, 30 * Day},
		{"90d", Year, 90 * Day},
		{"1y", Year, Year},
		{"1h", Year, time.Hour},
		{"36h", Year, 36 * time.Hour},
		{"365d", Year, Year},
		{"8760h", Year, Year},
		{"366d", Year, 0},
		{"2y", Year, 0},
		{"0h", Year, 0},
		{"0d", Year, 0},
		{"30m", Year, 0},
		{"1.5d", Year, 0},
		{"-1d", Year, 0},
		{"d", Year, 0},
		{"", Year, 0},
		{"never", Year, 0},
		{"7 d", Year, 0},
		{"1000000d", Year, 0},
		{"99999999999999999999d", Year, 0},
		{"90d", 30 * Day, 0},
		{"1y", 30 * Day, 0},
		{"30d", 30 * Day, 30 * Day},
	}
	for _, tt := range tests {
		got, err := parseLifetime(tt.in, tt.max)
		if tt.want == 0 {
			if err == nil {
				t.Errorf("parseLifetime(%q, %s) = %s, want an error", tt.in, tt.max, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseLifetime(%q, %s) = %s, %v; want %s", tt.in, tt.max, got, err, tt.want)
		}
	}
}

func TestParseGrace(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"0", 0, false},
		{"0h", 0, false},
		{"1h", time.Hour, false},
		{"7d", 7 * Day, false},
		{"168h", 7 * Day, false},
		{"8d", 0, true},
		{"999999d", 0, true}, // overflows int64 nanoseconds: must not wrap to a negative grace
		{"999999y", 0, true},
		{"169h", 0, true},
		{"1y", 0, true},
		{"soon", 0, true},
		{"-1h", 0, true},
	}
	for _, tt := range tests {
		got, err := parseGrace(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseGrace(%q) = %s, %v; want %s, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0", Year: "1y", 90 * Day: "90d", 36 * time.Hour: "36h"} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
