// e2e/ is a Node project. This file makes it a module of its own, so that
// "go test ./..." in the repository does not walk e2e/node_modules.
module keysmith-e2e

go 1.26
