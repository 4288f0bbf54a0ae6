package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"liaison/bench"
)

// The load mode of `liaison bench` (--duration) serves a fresh store in
// this process and runs the load generator as another liaison process
// (`liaison bench --load-worker`, orders on its stdin, result on its
// stdout), so that the generator's CPU is its own and shows separately
// from the server's.

// beMainEnv makes a test binary run as liaison (see TestMain), so that the
// load generator can be this binary in tests as it is in production.
const beMainEnv = "LIAISON_BE_MAIN"

// spawnLoadGenerator runs the orders in a child liaison process.
func spawnLoadGenerator(e *env) bench.LoadGenerator {
	return func(ctx context.Context, o bench.LoadOrders) (bench.LoadResult, error) {
		self, err := os.Executable()
		if err != nil {
			return bench.LoadResult{}, fmt.Errorf("find this program to run the load generator: %w", err)
		}
		orders, err := json.Marshal(o)
		if err != nil {
			return bench.LoadResult{}, err
		}
		// The generator stops by itself at the deadline; the context
		// stops it sooner, with time to spare for a slow last request.
		cctx, cancel := context.WithTimeout(ctx, time.Duration(o.Duration*float64(time.Second))+2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(cctx, self, "bench", "--load-worker")
		cmd.Env = append(os.Environ(), beMainEnv+"=1")
		cmd.Stdin = bytes.NewReader(orders)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			return bench.LoadResult{}, fmt.Errorf("load generator process: %w: %s", err, strings.TrimSpace(errOut.String()))
		}
		var res bench.LoadResult
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			return res, fmt.Errorf("load generator process: result: %w", err)
		}
		return res, nil
	}
}

// runLoadWorker is `liaison bench --load-worker`: the load generator.
func runLoadWorker(ctx context.Context, e *env) error {
	var o bench.LoadOrders
	if err := json.NewDecoder(e.stdin).Decode(&o); err != nil {
		return usagef("--load-worker reads its orders as JSON on stdin, from another liaison bench: %v", err)
	}
	res, err := bench.Load(ctx, o)
	if err != nil {
		return err
	}
	return json.NewEncoder(e.stdout).Encode(res)
}
