"""Property tests of the SOURCE and --sizes parsers: whatever the user types, the answer is a value or
a SourceError with one line, never another exception. Nothing here imports TensorFlow."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from shapelint.sources import DEFAULT_MAX_SIZE, HUB_PREFIXES, Source, SourceError, format_size, parse_sizes, parse_source

# Every code point, surrogates included: undecodable bytes on a command line arrive as lone surrogates.
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=80)
SIZE_TEXT = st.one_of(
    ANY_TEXT,
    st.lists(st.one_of(st.integers(-10**6, 10**6).map(str),
                       st.tuples(st.integers(-5, 10**5), st.integers(-5, 10**5)).map(lambda t: f"{t[0]}x{t[1]}"),
                       st.sampled_from(["", " ", "x", "224x", "x224", "1e3", "0x0", "２２４", "224×160", "9" * 5000,
                                        "+224", "-0", "0224", "224 x 224", "nan"])),
             min_size=1, max_size=5).map(",".join),
)
SOURCE_TEXT = st.one_of(
    ANY_TEXT,
    st.builds(lambda name, query: f"keras:{name}?{query}", ANY_TEXT, ANY_TEXT),
    st.builds(lambda prefix, rest: prefix + rest, st.sampled_from(HUB_PREFIXES + ("http://", "file://", "~", "/", "./")),
              ANY_TEXT),
    st.builds(lambda module, attr: f"{module}:{attr}", ANY_TEXT, st.from_regex(r"[A-Za-z_][A-Za-z0-9_.]{0,10}", fullmatch=True)),
    st.builds(lambda stem, suffix: stem + suffix, ANY_TEXT, st.sampled_from([".keras", ".h5", ".hdf5", ".py:build"])),
)


def one_line(exc: Exception) -> bool:
    text = str(exc)
    return bool(text) and len(text.splitlines()) == 1 and len(text) < 1000


@settings(max_examples=400, deadline=None)
@given(SIZE_TEXT, st.integers(-3, 10**5))
@example("224,160,96x128", 4096)
@example("9" * 5000, 4096)
@example("0", 4096)
def test_parse_sizes_gives_sizes_or_one_line_error(text, max_size):
    try:
        sizes = parse_sizes(text, max_size)
    except SourceError as exc:
        assert one_line(exc), repr(str(exc))
        return
    assert sizes and len(set(sizes)) == len(sizes)
    assert all(isinstance(d, int) and 1 <= d <= max_size for size in sizes for d in size)


@given(st.lists(st.tuples(st.integers(1, DEFAULT_MAX_SIZE), st.integers(1, DEFAULT_MAX_SIZE)), min_size=1, max_size=6))
def test_parse_sizes_round_trips(sizes):
    assert parse_sizes(",".join(format_size(s) for s in sizes)) == tuple(dict.fromkeys(sizes))


@settings(max_examples=400, deadline=None)
@given(SOURCE_TEXT)
@example("~nosuchuser_shapelint/model.keras")
@example("a" * 5000)
@example("model\n.keras")
@example("https://tfhub.dev/\udcff")
@example("keras:MobileNetV2?alpha=0.35&1bad=2")
def test_parse_source_gives_source_or_one_line_error(text):
    try:
        source = parse_source(text)
    except SourceError as exc:
        assert one_line(exc), repr(str(exc))
        return
    assert isinstance(source, Source)
    assert source.kind in ("keras-app", "keras-file", "savedmodel", "hub", "factory", "timm", "torchvision", "hf",
                           "torch-export", "torchscript", "torch-pickle", "onnx", "keras-hub", "kerashub-preset")
    assert source.text == text.strip()
