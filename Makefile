# The two entry commands of the checkout. Everything else lives in each repository.
.PHONY: run test

run: ## start the whole system locally (PostgreSQL, moto, migrations, auth, app); Ctrl-C stops it
	@bash .ci/local-stack.sh

test: ## run every test of every repository, the standalone builds and the linters
	@bash .ci/test-all.sh
