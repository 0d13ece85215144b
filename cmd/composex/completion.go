package main

import (
	"fmt"
	"io"
	"strings"
)

// Shell completion: commands, each command's flags, and the values of the
// flags that take one of a few (TestCompletionKnowsEveryFlag keeps the
// flag lists equal to the commands' own).
var (
	completionCommands = []string{"render", "validate", "diff", "schema", "version", "help", "completion"}
	projectFlagNames   = []string{"--file", "-f", "--project-name", "-p", "--env-file", "--profile", "--project-directory", "--allow-outside-project", "--strict", "--quiet", "-q", "--diagnostics", "--control-tower", "--help", "-h"}
	renderOnlyFlags    = []string{"--output-dir", "-o", "--format", "--param", "--layout"}
	flagValues         = map[string][]string{
		"--format":      {"yaml", "json"},
		"--layout":      {"auto", "single", "nested"},
		"--diagnostics": diagnosticFormats,
	}
	completionShells = []string{"bash", "zsh", "fish"}
)

func runCompletion(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || (args[0] != "bash" && args[0] != "zsh" && args[0] != "fish") {
		fmt.Fprintf(stderr, "Usage: composex completion bash|zsh|fish\n\nPrint a completion script:\n  bash: source <(composex completion bash)\n  zsh:  source <(composex completion zsh)\n  fish: composex completion fish | source\n")
		if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
			return exitOK
		}
		return exitUsage
	}
	switch args[0] {
	case "fish":
		fmt.Fprint(stdout, fishCompletion())
	case "zsh":
		// zsh runs the bash function through its bash completion layer.
		fmt.Fprint(stdout, "autoload -U +X bashcompinit && bashcompinit\n"+bashCompletion())
	default:
		fmt.Fprint(stdout, bashCompletion())
	}
	return exitOK
}

func bashCompletion() string {
	var b strings.Builder
	b.WriteString("# composex completion for bash\n_composex() {\n")
	b.WriteString("  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\" flags=\"\"\n")
	fmt.Fprintf(&b, "  if [ \"$COMP_CWORD\" -eq 1 ]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); return; fi\n", strings.Join(completionCommands, " "))
	b.WriteString("  case \"$prev\" in\n")
	b.WriteString("    -f|--file|--env-file) COMPREPLY=($(compgen -f -- \"$cur\")); return;;\n")
	b.WriteString("    -o|--output-dir|--project-directory) COMPREPLY=($(compgen -d -- \"$cur\")); return;;\n")
	for _, f := range []string{"--format", "--layout", "--diagnostics"} {
		fmt.Fprintf(&b, "    %s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return;;\n", f, strings.Join(flagValues[f], " "))
	}
	b.WriteString("  esac\n  case \"${COMP_WORDS[1]}\" in\n")
	fmt.Fprintf(&b, "    render) flags=%q;;\n", strings.Join(append(append([]string{}, projectFlagNames...), renderOnlyFlags...), " "))
	fmt.Fprintf(&b, "    validate) flags=%q;;\n", strings.Join(projectFlagNames, " "))
	fmt.Fprintf(&b, "    completion) COMPREPLY=($(compgen -W %q -- \"$cur\")); return;;\n", strings.Join(completionShells, " "))
	fmt.Fprintf(&b, "    help) COMPREPLY=($(compgen -W %q -- \"$cur\")); return;;\n", strings.Join(completionCommands[:4], " "))
	b.WriteString("    *) return;;\n  esac\n")
	b.WriteString("  if [[ \"$cur\" == -* ]]; then COMPREPLY=($(compgen -W \"$flags\" -- \"$cur\")); else COMPREPLY=($(compgen -f -- \"$cur\")); fi\n}\n")
	b.WriteString("complete -o filenames -F _composex composex\n")
	return b.String()
}

func fishCompletion() string {
	var b strings.Builder
	b.WriteString("# composex completion for fish\ncomplete -c composex -f\n")
	fmt.Fprintf(&b, "complete -c composex -n __fish_use_subcommand -a %q\n", strings.Join(completionCommands, " "))
	fmt.Fprintf(&b, "complete -c composex -n '__fish_seen_subcommand_from completion' -a %q\n", strings.Join(completionShells, " "))
	fmt.Fprintf(&b, "complete -c composex -n '__fish_seen_subcommand_from help' -a %q\n", strings.Join(completionCommands[:4], " "))
	flag := func(cond, f string) {
		var spec string
		if strings.HasPrefix(f, "--") {
			spec = "-l " + strings.TrimPrefix(f, "--")
		} else {
			spec = "-s " + strings.TrimPrefix(f, "-")
		}
		line := fmt.Sprintf("complete -c composex -n '__fish_seen_subcommand_from %s' %s", cond, spec)
		switch {
		case flagValues[f] != nil:
			line += fmt.Sprintf(" -x -a %q", strings.Join(flagValues[f], " "))
		case f == "--file" || f == "-f" || f == "--env-file":
			line += " -r -F"
		case f == "--output-dir" || f == "-o" || f == "--project-directory":
			line += " -x -a '(__fish_complete_directories)'"
		}
		b.WriteString(line + "\n")
	}
	for _, f := range projectFlagNames {
		flag("render validate", f)
	}
	for _, f := range renderOnlyFlags {
		flag("render", f)
	}
	b.WriteString("complete -c composex -n '__fish_seen_subcommand_from render validate' -F\n")
	return b.String()
}
