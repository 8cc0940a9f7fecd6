// The Go side of statsd-mapper's differential regex test (tests/it/go_oracle.rs): what
// Go's regexp, which statsd_exporter compiles mapping rules with, makes of each pattern.
//
// Input, one case per line: the pattern, a template and then the names to match, each
// hex-encoded, separated by tabs. Output, one line per case: "ERR" when regexp.Compile
// refuses the pattern, else "OK" and, per name, a tab and "-" (no match) or the groups
// of FindStringSubmatchIndex (group 0 first), comma-separated, each hex-encoded or "~"
// when the group did not take part, then ";" and the template expanded by ExpandString
// (as statsd_exporter expands a regex rule's name and label values), hex-encoded.
package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"
)

func decode(field string) string {
	text, err := hex.DecodeString(field)
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-oracle: bad hex:", err)
		os.Exit(2)
	}
	return string(text)
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		fields := strings.Split(in.Text(), "\t")
		re, err := regexp.Compile(decode(fields[0]))
		if err != nil {
			fmt.Fprintln(out, "ERR")
			continue
		}
		template := decode(fields[1])
		out.WriteString("OK")
		for _, field := range fields[2:] {
			name := decode(field)
			out.WriteString("\t")
			span := re.FindStringSubmatchIndex(name)
			if span == nil {
				out.WriteString("-")
				continue
			}
			groups := make([]string, len(span)/2)
			for i := range groups {
				if span[2*i] < 0 {
					groups[i] = "~"
				} else {
					groups[i] = hex.EncodeToString([]byte(name[span[2*i]:span[2*i+1]]))
				}
			}
			out.WriteString(strings.Join(groups, ","))
			expanded := re.ExpandString(nil, template, name, span)
			out.WriteString(";" + hex.EncodeToString(expanded))
		}
		out.WriteString("\n")
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "go-oracle:", err)
		os.Exit(2)
	}
}
