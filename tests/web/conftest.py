import pytest

@pytest.fixture
def zzz():
    return 1
