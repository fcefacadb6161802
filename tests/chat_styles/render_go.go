// Renders Ollama-style templates with Go's own text/template: reads [{"template": ..., "messages": [...]}]
// as JSON on stdin, writes the list of rendered strings as JSON on stdout. Used by test_go_renderer.py.
package main

import (
	"encoding/json"
	"os"
	"strings"
	"text/template"
)

type Message struct {
	Role    string
	Content string
}

type Case struct {
	Template string    `json:"template"`
	Messages []Message `json:"messages"`
}

func main() {
	var cases []Case
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		panic(err)
	}
	out := []string{}
	for _, c := range cases {
		tmpl := template.Must(template.New("t").Parse(c.Template))
		var b strings.Builder
		if err := tmpl.Execute(&b, map[string]any{"Messages": c.Messages}); err != nil {
			panic(err)
		}
		out = append(out, b.String())
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
