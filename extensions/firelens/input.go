package firelens

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/render"
)

// FireLens is services.x-logging.FireLens as compose-x defines it.
type FireLens struct {
	Shorthands *Shorthands `json:"Shorthands,omitempty"`
	// ShortHands is the spelling of compose-x's documentation; its test
	// cases write Shorthands. Both are read.
	ShortHands *Shorthands `json:"ShortHands,omitempty"`
	Advanced   *Advanced   `json:"Advanced,omitempty"`
}

// Shorthands are the one-line forms.
type Shorthands struct {
	ReplaceAwsLogs *bool `json:"ReplaceAwsLogs,omitempty"`
}

// Advanced configures the router itself.
type Advanced struct {
	SourceFile                     string           `json:"SourceFile,omitempty"`
	ParserFiles                    []string         `json:"ParserFiles,omitempty"`
	EnableApiHeathCheck            bool             `json:"EnableApiHeathCheck,omitempty"`
	GracePeriod                    *int             `json:"GracePeriod,omitempty"`
	ComposeXManagedAwsDestinations []map[string]any `json:"ComposeXManagedAwsDestinations,omitempty"`
	EnvironmentVariables           map[string]any   `json:"EnvironmentVariables,omitempty"`
}

// plan is what one service asks of its family's router.
type plan struct {
	service string
	main    *output   // the apps' logConfiguration (awsfirelens)
	extra   []*output // more [OUTPUT]s in the router's configuration
	source  *projectFile
	parsers []parserFile
	health  bool
	grace   int
	env     map[string]string
	path    string // x-logging.FireLens key path, for messages
}

type projectFile struct {
	shown   string // as the user wrote it
	content string
}

// parserFile is a project file delivered to the router, or (content "")
// a file of the router image named by its absolute path.
type parserFile struct {
	projectFile
	imagePath string
}

// readPlans decodes and checks every service's FireLens and logging; the
// result has one plan per service whose logs go through a router.
func readPlans(in *render.Input, ds *render.Diagnostics) map[string]*plan {
	names := make([]string, 0, len(in.Project.Services))
	for name := range in.Project.Services {
		names = append(names, name)
	}
	sort.Strings(names)
	plans := map[string]*plan{}
	for _, name := range names {
		if p := readService(in, in.Project.Services[name], ds); p != nil {
			plans[name] = p
		}
	}
	return plans
}

func readService(in *render.Input, s types.ServiceConfig, ds *render.Diagnostics) *plan {
	path := render.ServicePath(s.Name, "x-logging", "FireLens")
	var fl *FireLens
	if xl, ok := s.Extensions["x-logging"].(map[string]any); ok && xl["FireLens"] != nil {
		fl = &FireLens{}
		if err := render.DecodeExtension(xl["FireLens"], fl); err != nil {
			ds.Errorf(s.Name, path, "%v", err)
			return nil
		}
	}
	driver := ""
	var opts map[string]string
	if s.Logging != nil {
		driver, opts = s.Logging.Driver, s.Logging.Options
	}
	if fl == nil && driver != Driver {
		return nil
	}
	p := &plan{service: s.Name, path: path, env: map[string]string{}}
	replace := false
	if fl != nil {
		if fl.Shorthands != nil && fl.ShortHands != nil {
			ds.Errorf(s.Name, path, "give Shorthands or ShortHands, not both (they are one key, spelt two ways)")
			return nil
		}
		sh := fl.Shorthands
		if sh == nil {
			sh = fl.ShortHands
		}
		replace = sh != nil && sh.ReplaceAwsLogs != nil && *sh.ReplaceAwsLogs
		if fl.Advanced == nil && !replace && driver != Driver {
			ds.Warnf(s.Name, path, "FireLens without Advanced, without Shorthands.ReplaceAwsLogs: true and without logging.driver %s routes nothing; the service keeps logging to CloudWatch through awslogs", Driver)
			return nil
		}
	}
	logPath := render.ServicePath(s.Name, "logging", "options")
	if driver == Driver {
		p.main = readOptions(s.Name, logPath, opts, ds)
		if p.main == nil {
			return nil
		}
	} else {
		// ReplaceAwsLogs (or Advanced alone): the logs go where awslogs
		// would have sent them.
		o := &output{plugin: pluginCloudWatch, options: map[string]string{}, path: logPath}
		if g := opts["awslogs-group"]; driver == "awslogs" && g != "" {
			o.options["log_group_name"] = g
			o.options["auto_create_group"] = "true"
		}
		if pre := opts["awslogs-stream-prefix"]; driver == "awslogs" && pre != "" {
			o.options["log_stream_prefix"] = pre
		}
		if !checkOutput(s.Name, o, ds) {
			return nil
		}
		p.main = o
	}
	if fl != nil && fl.Advanced != nil {
		if !readAdvanced(in, s.Name, path+".Advanced", fl.Advanced, p, ds) {
			return nil
		}
	}
	return p
}

func readAdvanced(in *render.Input, service, path string, a *Advanced, p *plan, ds *render.Diagnostics) bool {
	ok := true
	if a.SourceFile != "" {
		if f, good := readProjectFile(in, service, path+".SourceFile", a.SourceFile, ds); good {
			if strings.Contains(strings.ToUpper(f.content), "[PARSER]") {
				ds.Errorf(service, path+".SourceFile", "%s defines a [PARSER]: Fluent Bit reads parsers only from parser files; move it into a file of ParserFiles", a.SourceFile)
				ok = false
			}
			p.source = &f
		} else {
			ok = false
		}
	}
	for i, name := range a.ParserFiles {
		kp := fmt.Sprintf("%s.ParserFiles.%d", path, i)
		if filepath.IsAbs(name) {
			if !imagePath.MatchString(name) {
				ds.Errorf(service, kp, "%q is not a plain absolute path of the router image (letters, digits, . _ - / only)", name)
				ok = false
				continue
			}
			p.parsers = append(p.parsers, parserFile{imagePath: name})
			continue
		}
		f, good := readProjectFile(in, service, kp, name, ds)
		if !good {
			ok = false
			continue
		}
		p.parsers = append(p.parsers, parserFile{projectFile: f})
	}
	p.health = a.EnableApiHeathCheck
	if a.GracePeriod != nil {
		if !a.EnableApiHeathCheck {
			ds.Warnf(service, path+".GracePeriod", "GracePeriod is the start period of the router's health check, which EnableApiHeathCheck: true turns on; ignored")
		} else if *a.GracePeriod < 0 || *a.GracePeriod > 300 {
			ds.Errorf(service, path+".GracePeriod", "%d is out of range; ECS allows a health check start period of 0 to 300 seconds", *a.GracePeriod)
			ok = false
		} else {
			p.grace = *a.GracePeriod
		}
	}
	for i, d := range a.ComposeXManagedAwsDestinations {
		kp := fmt.Sprintf("%s.ComposeXManagedAwsDestinations.%d", path, i)
		o := readDestination(service, kp, d, ds)
		if o == nil {
			ok = false
			continue
		}
		p.extra = append(p.extra, o)
	}
	for k, v := range a.EnvironmentVariables {
		if !envName.MatchString(k) {
			ds.Errorf(service, path+".EnvironmentVariables."+k, "%q is not an environment variable name (letters, digits and _, not starting with a digit)", k)
			ok = false
			continue
		}
		p.env[k] = fmt.Sprint(v)
	}
	return ok
}

// readProjectFile reads a project file the one way composex reads them.
func readProjectFile(in *render.Input, service, kp, name string, ds *render.Diagnostics) (projectFile, bool) {
	real, err := render.CheckProjectFile(in.Project.WorkingDir, name, false, MaxFileBytes)
	if err != nil {
		ds.Errorf(service, kp, "%v", err)
		return projectFile{}, false
	}
	body, err := readLimited(real)
	if err != nil {
		ds.Errorf(service, kp, "%s: %v", name, err)
		return projectFile{}, false
	}
	return projectFile{shown: name, content: body}, true
}
