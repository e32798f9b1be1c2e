# The Python packages that the training recipes need and a lent GPU machine's image lacks, carried
# there as files (it has no network; its python3 is 3.12 with torch, numpy, scipy, Cython).
#
#   bash packaging/gpu_wheels.sh fetch           # here: fills .whl/ (git-ignored through .git/info/exclude)
#   . packaging/gpu_wheels.sh install            # there, sourced: installs them, exports PYTHONPATH
#
# pesq has no binary wheel on PyPI, so its source travels and is built there; its setup.py asks
# for pytest-runner at build time, which must be importable then or setuptools tries the network.
# pyroomacoustics 0.10.1 is the first release with a cp312 wheel, so rooms simulated there come from a
# newer version than pyproject's range; the cards trained there say so.
# shellcheck shell=bash
wheels=.whl site=/tmp/site
case ${1:-} in
fetch)
    python=${PYTHON:-.venv/bin/python}
    platforms="--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64"
    platforms="$platforms --platform manylinux2014_x86_64 --platform manylinux1_x86_64"
    # shellcheck disable=SC2086
    $python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp $platforms \
        -d "$wheels" soundfile==0.13.1 cffi==2.1.1 pycparser==3.12 pyroomacoustics==0.10.1 soxr==1.1.0 \
        pystoi==0.4.1 pytest-runner==6.0.1 &&
        $python -m pip download -q --no-deps --no-binary=:all: --no-build-isolation -d "$wheels/src" pesq==0.0.4 &&
        ls "$wheels" "$wheels/src"
    ;;
install)
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" \
        "$wheels"/*.whl &&
        export PYTHONPATH=$site &&
        python3 -m pip install -q --no-index --no-deps --no-build-isolation --no-cache-dir --target "$site" \
            "$wheels"/src/pesq-*.tar.gz &&
        python3 -c "import pesq, pyroomacoustics, soundfile, soxr, torch; print('carried packages import;', \
torch.__version__, torch.cuda.get_device_name() if torch.cuda.is_available() else 'no GPU')"
    ;;
*)
    echo "usage: bash $0 fetch | . $0 install" >&2
    ;;
esac
