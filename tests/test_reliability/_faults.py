"""The fault table of ``docs/reliability.md``, as data.

Each row is a fault a user's data, disk or command can bring, what mmccrop
does about it, and the test that checks it.  ``test_reliability_table.py``
checks that the table in the doc is exactly :func:`render` of these rows and
that every test named here exists.  After editing the rows, rewrite the doc's
table with::

    python tests/test_reliability/_faults.py --write
"""
import os.path as osp
import sys
from typing import List, NamedTuple

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DOC = osp.join(ROOT, 'docs', 'reliability.md')
BEGIN = '<!-- fault table: generated from tests/test_reliability/_faults.py -->'
END = '<!-- end of fault table -->'

#: What the package does, in one word.
KINDS = ('error', 'skip + warning', 'warning', 'convert', 'refuse', 'recover')


class Fault(NamedTuple):
    where: str
    fault: str
    response: str
    kind: str
    test: str  # path under tests/ :: test function


R = 'test_reliability/'
S = 'test_box_sources/'
FAULTS: List[Fault] = [
    # ----------------------------------------------------------------- data
    Fault('data', 'Corrupt or zero-byte image file',
          '`OSError` naming the file and sample, suggesting `skip_corrupt=True`; with it, the '
          'sample is skipped (logged, counted in `num_skipped`) and another one served',
          'error', R + 'test_bad_inputs.py::test_unreadable_image_names_the_file_or_is_skipped'),
    Fault('data', 'Image listed in `ann_file` but missing',
          '`OSError` naming the file; skipped like a corrupt file with `skip_corrupt=True`',
          'error', R + 'test_bad_inputs.py::test_missing_image_names_the_file'),
    Fault('data', 'Unreadable image met by the box refresh, `skip_corrupt=True`',
          'skipped as in training: it keeps its previous box, each is logged with its path, the '
          'count is in the refresh log and statistics (`box_skipped`); training and the '
          "epoch's checkpoint go on", 'skip + warning',
          R + 'test_faults_data.py::test_refresh_skips_what_training_skips'),
    Fault('data', 'Unreadable image met by the box refresh, `skip_corrupt=False`',
          'the refresh stops with an `OSError` naming the file', 'error',
          R + 'test_faults_data.py::test_refresh_skips_what_training_skips'),
    Fault('data', 'Grayscale, RGBA or 16-bit PNG',
          'converted to 3-channel 8-bit BGR, in training and in the box refresh', 'convert',
          R + 'test_bad_inputs.py::test_gray_rgba_16bit_png_are_converted'),
    Fault('data', 'Image smaller than the crop size', 'upsampled to the crop size', 'convert',
          R + 'test_bad_inputs.py::test_image_smaller_than_the_crop_is_upsampled'),
    Fault('data', 'Class folder (or a folder under it) that cannot be listed',
          '`PermissionError` naming the folder', 'error',
          R + 'test_faults_data.py::test_unreadable_class_folder_is_an_error_naming_it'),
    Fault('data', 'Directory symlink loop (or a second link to a scanned folder)',
          'not followed: a warning names the link, every image is counted once; other '
          'directory links are followed', 'skip + warning',
          R + 'test_faults_data.py::test_directory_link_loop_is_skipped_with_a_warning'),
    Fault('data', '`ann_file` (or Tiny-ImageNet / STL-10 text file) not in UTF-8, e.g. latin-1',
          '`ValueError` naming the file, the line and the byte', 'error',
          R + 'test_faults_data.py::test_ann_file_not_utf8_names_the_file_and_line'),
    Fault('data', 'CIFAR batch whose pickle would run code',
          'refused with an `UnpicklingError` naming the global; nothing runs', 'refuse',
          'test_datasets/test_datasets.py::test_cifar_refuses_pickles_that_run_code'),
    Fault('data', 'STL-10 binary of the wrong size, labels out of range',
          '`ValueError` naming the file', 'error',
          'test_datasets/test_datasets.py::test_stl10_validates'),
    # ---------------------------------------------------------------- boxes
    Fault('boxes', '`ccrop_box` outside [0, 1] or inverted, from a user\'s dataset',
          '`ValueError` naming `ccrop_box`, the value, the image file and the sample', 'error',
          R + 'test_faults_data.py::test_out_of_range_ccrop_box_names_the_image_and_sample'),
    Fault('boxes', 'Invalid `init_box`, or invalid rows written to the box store',
          '`ValueError` naming `init_box` or the row; the store is left unchanged', 'error',
          R + 'test_bad_inputs.py::test_bad_boxes_are_refused_and_nothing_is_overwritten'),
    Fault('boxes', 'NaN or constant heatmap', 'the full-image box, flagged and counted as '
          'degenerate in the refresh log', 'convert',
          R + 'test_bad_inputs.py::test_nan_heatmap_gives_the_full_box_flagged_degenerate'),
    Fault('boxes', 'Box file (`FileBoxes`) row whose key matches no image of the dataset',
          '`ValueError` naming the file, the row and the key, with one of the dataset\'s keys as '
          "an example; `unknown='ignore'` skips such rows (counted in the log)", 'error',
          S + 'test_box_files.py::'
          'test_unknown_images_and_images_without_a_box_follow_the_named_policies'),
    Fault('boxes', 'Box file row whose box is outside [0, 1], inverted, empty or not 4 numbers',
          '`ValueError` naming the file, the row (CSV line, JSON entry, npz row) and the key',
          'error', S + 'test_box_files.py::test_bad_box_files_name_the_file_and_the_row'),
    Fault('boxes', 'Box file with an image twice (a JSON object would silently keep the last)',
          '`ValueError` naming the key and both rows', 'error',
          S + 'test_box_files.py::test_bad_box_files_name_the_file_and_the_row'),
    Fault('boxes', 'Image with no box in the box file or annotations',
          "`ValueError` naming the images and their samples; `missing='full'` gives them the "
          'whole image (counted in the log)', 'error',
          S + 'test_box_files.py::'
          'test_unknown_images_and_images_without_a_box_follow_the_named_policies'),
    Fault('boxes', 'COCO or VOC annotation without an image size, of an unlisted image, with an '
          'inverted box, or not JSON / XML', '`ValueError` naming the file and the entry',
          'error', S + 'test_annotation_boxes.py::'
          'test_bad_annotation_files_name_the_file_and_the_entry'),
    Fault('boxes', '`export_boxes.py` on a checkpoint without boxes, of another dataset size, '
          'or whose pickle would run code', 'exit status 1; the message names the checkpoint '
          '(and both sizes); nothing is written', 'error',
          S + 'test_export_boxes.py::test_export_errors_name_the_problem_and_write_nothing'),
    # --------------------------------------------------------------- config
    Fault('config', '`alpha <= 0`', '`ValueError` naming `alpha`', 'error',
          R + 'test_bad_inputs.py::test_alpha_must_be_positive'),
    Fault('config', 'Box threshold outside (0, 1)', '`ValueError` naming `threshold`', 'error',
          R + 'test_bad_inputs.py::test_threshold_must_lie_in_0_1'),
    Fault('config', 'Misspelt hook or transform argument', '`TypeError` naming the key',
          'error', R + 'test_bad_inputs.py::test_typo_in_hook_or_transform_key_reaches_the_user'),
    Fault('config', '`warmup_epochs >= max_epochs` (e.g. a short trial of a warm-up-20 config)',
          'the schedule is logged at the start, with a warning that no epoch crops with a box '
          '(the run is plain RandomResizedCrop)', 'warning',
          R + 'test_faults_schedule.py::test_short_trial_of_a_warmup_20_config_warns_in_the_log'),
    Fault('config', '`interval` that never refreshes within `max_epochs`; `interval=None` with '
          'a whole-image `init_box`', 'a warning at the start', 'warning',
          R + 'test_faults_schedule.py::test_schedules_that_never_use_a_box_warn'),
    # --------------------------------------------------------- checkpoints
    Fault('resume', "Resume from another algorithm's checkpoint",
          '`RuntimeError` listing the missing and unexpected keys, before anything is loaded',
          'error', R + 'test_bad_inputs.py::test_resume_from_another_algorithm_names_the_keys'),
    Fault('resume', 'Truncated checkpoint', '`RuntimeError` naming the file', 'error',
          R + 'test_bad_inputs.py::test_truncated_checkpoint_names_the_file'),
    Fault('resume', 'Checkpoint whose pickle would run code',
          'refused (`weights_only=True` with an allow-list), naming the file; nothing runs',
          'refuse', R + 'test_bad_inputs.py::test_checkpoint_carrying_code_is_refused'),
    Fault('resume', '`load_from` (initialise) a checkpoint that holds boxes',
          'weights only: the boxes are not imported (logged) and start at `init_box`; only a '
          'resume restores them', 'recover',
          R + 'test_faults_resume.py::test_load_from_initialises_weights_but_not_boxes'),
    Fault('resume', 'Resume after images were added or removed',
          "`ValueError` naming both sizes and `BoxRefreshHook(resume_boxes='relocalize' | "
          "'reset')`, the documented ways forward", 'error',
          R + 'test_faults_resume.py::test_resume_on_a_shrunk_dataset_points_at_resume_boxes'),
    Fault('resume', "... with `resume_boxes='relocalize'` or `'reset'`",
          'every image is localised again with the resumed model, or the boxes start at '
          '`init_box`; the log says which', 'recover',
          R + 'test_faults_resume.py::test_resume_boxes_says_what_it_did'),
    Fault('resume', 'Work dir copied or moved, then resumed',
          "resumes from the copy's own checkpoint, not from the absolute path in "
          '`last_checkpoint`', 'recover',
          R + 'test_faults_resume.py::test_moved_work_dir_resumes_its_own_checkpoint'),
    Fault('resume', '... through `tools/train.py --resume`', 'the same, in the tool', 'recover',
          R + 'test_faults_resume.py::test_train_tool_resumes_a_copied_work_dir_from_the_copy'),
    Fault('resume', '`kill -9` during training, then `--resume`',
          'bit-exact continuation: weights, optimizer, queue or bank, boxes, random states '
          'and losses equal those of a straight run', 'recover',
          R + 'test_exact_resume.py::test_sigkill_then_resume_equals_the_straight_run'),
    Fault('resume', 'SNCLR with per-GPU banks (`bank_scope=\'local\'`) saved and resumed on '
          'several GPUs', "every rank's bank is gathered before rank 0 writes the checkpoint "
          "(mmengine saves on rank 0 only; a gather there would wait forever), and each rank "
          'resumes its own', 'recover',
          R + 'test_dist_snclr_bank.py::test_local_banks_of_both_ranks_are_saved_and_resumed'),
    # ---------------------------------------------------------------- disk
    Fault('disk', '`kill -9` while a checkpoint is written',
          'the half-written file never becomes the latest; `--resume` continues from the '
          'previous checkpoint', 'recover',
          R + 'test_atomic_checkpoint.py::test_sigkill_mid_save_then_auto_resume'),
    Fault('disk', 'Disk full while a checkpoint is written',
          'the previous checkpoints and `last_checkpoint` are kept, no partial file is left',
          'recover', R + 'test_atomic_checkpoint.py::'
          'test_disk_full_during_save_keeps_the_previous_checkpoint'),
    Fault('disk', '... and the error message', '"No space left on device while saving '
          'checkpoint \'.../epoch_N.pth\'"; any other atomic write names its file too', 'error',
          R + 'test_faults_files.py::test_disk_full_at_a_checkpoint_save_names_the_checkpoint'),
    Fault('disk', 'Failed or interrupted write of an exported dataset, converted backbone, '
          'metrics file', 'the old file (if any) is kept, no partial or temporary file is left',
          'recover',
          'test_foundation/test_fileio.py::test_failed_write_leaves_old_file_and_no_temp'),
    Fault('disk', 'Failed or interrupted write of a box file (`export_boxes.py`)',
          'the old file is kept, no partial or temporary file is left; an invalid box is '
          'refused before anything is written', 'recover',
          S + 'test_box_files.py::'
          'test_failed_box_file_write_leaves_the_old_file_and_no_partial_one'),
    Fault('disk', 'Files readable by other users and container UIDs',
          "written files get a plain `open()`'s mode (`0o666 & ~umask`, or the replaced file's),"
          " not 0600", 'convert',
          R + 'test_faults_files.py::test_atomic_files_get_the_mode_open_would_give'),
    Fault('converter', 'Checkpoint whose pickle holds more than tensors',
          'refused naming the file (exit status 1); `--unsafe-load` for trusted files', 'refuse',
          'test_transfer/test_extract_backbone.py::test_weights_only_refusal_and_unsafe_load'),
    Fault('converter', 'Random or empty bytes given as a checkpoint',
          'an error naming the file, with and without `--unsafe-load` (no traceback)', 'error',
          'test_transfer/test_extract_backbone.py::test_random_bytes_get_a_clear_error'),
    Fault('converter', 'Output path equal to the input (also through a relative path, a '
          'symlink or a hard link)',
          'refused, even with `--force`: the full checkpoint is never overwritten by its '
          'backbone', 'refuse',
          'test_transfer/test_extract_backbone.py::test_refuses_to_write_over_the_input'),
    Fault('converter', 'Output file that already exists',
          'refused naming it; `--force` overwrites (atomically)', 'refuse',
          'test_transfer/test_extract_backbone.py::test_existing_output_needs_force'),
    Fault('converter', '`--to detectron2` output without `.pkl`',
          '`.pkl` appended (detectron2 unpickles only `*.pkl`), and the report says so',
          'convert',
          'test_transfer/test_extract_backbone.py::test_detectron2_output_gets_pkl_suffix'),
]


def _cell(text: str) -> str:
    return text.replace('|', '\\|')


def render(faults: List[Fault] = FAULTS) -> str:
    """The markdown table, one row per fault."""
    lines = ['| where | fault | what mmccrop does | kind | test |',
             '|---|---|---|---|---|']
    for f in faults:
        lines.append(f'| {f.where} | {_cell(f.fault)} | {_cell(f.response)} | {f.kind} | '
                     f'`{f.test}` |')
    return '\n'.join(lines)


def doc_table(text: str) -> str:
    """The table between the markers of ``docs/reliability.md``."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[start:end].strip()


def write_doc(path: str = DOC) -> None:
    with open(path, encoding='utf-8') as f:
        text = f.read()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text[:start] + '\n' + render() + '\n' + text[end:])


if __name__ == '__main__':
    if '--write' in sys.argv:
        write_doc()
        print(f'wrote the table ({len(FAULTS)} rows) into {DOC}')
    else:
        print(render())
