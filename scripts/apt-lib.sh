# shellcheck shell=bash
# Sourced by the install scripts: install_missing PACKAGE... installs, with one
# apt-get update, only the Debian packages that are not installed yet; install_python_pins
# NAME==VERSION... the Python packages Debian does not carry at the version the tests need.
install_missing() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# boto3 and botocore as the test front and the tests were written against (botocore's canonical
# requests and its Config options change between releases; Debian 12's 1.29 lacks options the
# front passes). The demo needs them too: its S3 server sits behind the same front.
# shellcheck disable=SC2034  # used by the scripts that source this file
botocore_pins=("boto3==1.43.11" "botocore==1.43.11")

installed_version() {  # NAME -> its version in the python3 on PATH, or nothing
  python3 -c 'import importlib.metadata as m, sys
try: print(m.version(sys.argv[1]))
except m.PackageNotFoundError: pass' "$1"
}

# install_python_pins NAME==VERSION...: for the python3 first on PATH (it runs the front and the
# tests), installs each missing one at that version with pip where pip reaches an index; any other
# version installed fails here, naming the one to install.
install_python_pins() {
  local pin name want have
  for pin in "$@"; do
    name="${pin%%[[=]*}" want="${pin##*==}"
    if [[ -z "$(installed_version "$name")" ]]; then
      echo "installing $pin with pip"
      python3 -m pip install --quiet "$pin" || python3 -m pip install --break-system-packages --quiet "$pin" ||
        { echo "cannot install $pin for $(command -v python3) (hint: pip install '$pin' from a reachable index)" >&2; return 1; }
    fi
    have="$(installed_version "$name")"
    if [[ "$have" != "$want" ]]; then
      echo "$name $have is installed for $(command -v python3); the tests are pinned to $want" \
           "(hint: python3 -m pip install '$pin')" >&2
      return 1
    fi
  done
}
