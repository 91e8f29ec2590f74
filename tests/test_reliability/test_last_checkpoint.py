"""mmccrop.utils.last_checkpoint: which checkpoint an automatic resume loads."""
from mmccrop.utils.last_checkpoint import find_resume_checkpoint, resolve_last_checkpoint


def test_a_copied_work_dir_resumes_from_its_copy_with_a_warning(tmp_path):
    original, copy = tmp_path / 'original', tmp_path / 'copy'
    assert find_resume_checkpoint(str(original)) == (None, None)
    for work in (original, copy):
        work.mkdir()
        (work / 'epoch_2.pth').write_bytes(b'weights')
        (work / 'last_checkpoint').write_text(f'{original / "epoch_2.pth"}\n')
    assert find_resume_checkpoint(str(original)) == (str(original / 'epoch_2.pth'), None)
    found, warning = find_resume_checkpoint(str(copy))
    assert found == str(copy / 'epoch_2.pth') == resolve_last_checkpoint(str(copy))
    assert f'names {original / "epoch_2.pth"}, outside this work dir' in warning
    (copy / 'epoch_2.pth').unlink()  # kept elsewhere (another out_dir): as written
    assert find_resume_checkpoint(str(copy)) == (str(original / 'epoch_2.pth'), None)
    (copy / 'last_checkpoint').write_text('')
    assert find_resume_checkpoint(str(copy)) == (None, None)
