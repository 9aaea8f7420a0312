#!/usr/bin/env bash
# Make R available for the R front end (r/) and its tests: Rscript with the R packages
# reticulate, testthat and jsonlite, and loo, posterior and png (optional for the package, in its
# Suggests: loo objects and loo_compare, posterior's draws_df, figures shown in R's graphics
# device; the tests use them), installed from Debian (CRAN is not needed).
# Idempotent and non-interactive: does nothing when all are there; otherwise installs them with
# apt-get when run as root, and fails (exit 1) saying what is missing when it cannot.
set -euo pipefail

R_PACKAGES=(reticulate testthat jsonlite loo posterior png)
DEBIAN_PACKAGES=(r-base-core r-cran-reticulate r-cran-testthat r-cran-jsonlite r-cran-loo r-cran-posterior r-cran-png)

missing() {
    if ! command -v Rscript >/dev/null 2>&1; then
        echo "Rscript"
        return
    fi
    Rscript --vanilla -e "
        need <- c($(printf '"%s",' "${R_PACKAGES[@]}" | sed 's/,$//'))
        cat(need[!vapply(need, requireNamespace, logical(1), quietly = TRUE)], sep = ' ')
    " 2>/dev/null || echo "${R_PACKAGES[*]}"
}

absent=$(missing)
if [ -z "$absent" ]; then
    exit 0
fi
echo "setup_r: missing: $absent" >&2
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
    echo "setup_r: cannot install them here (needs root and apt-get); install: ${DEBIAN_PACKAGES[*]}" >&2
    exit 1
fi
echo "setup_r: installing ${DEBIAN_PACKAGES[*]} from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${DEBIAN_PACKAGES[@]}" >/dev/null
absent=$(missing)
if [ -n "$absent" ]; then
    echo "setup_r: still missing after apt-get install: $absent" >&2
    exit 1
fi
echo "setup_r: R ready ($(Rscript --version 2>&1 | head -n1))" >&2
