#!/bin/sh
# Regenerates tests/fixtures/fasttext/ with Debian's fastText 0.9.2 (/usr/bin/fasttext).
# Inputs (committed, hand-written): tiny.txt (unlabelled, with é, ß, ï, 日本, 😀) and sup.txt (labelled).
# Training is single-threaded with a fixed seed: rerunning this script on this machine reproduces the committed files byte for byte.
set -eu
cd "$(dirname "$0")/../tests/fixtures/fasttext"
FT=${FASTTEXT:-/usr/bin/fasttext}

# unsupervised skip-gram with character n-grams 3..6 in 2000 buckets: sg.bin (+ sg.vec)
$FT skipgram -input tiny.txt -output sg -minn 3 -maxn 6 -bucket 2000 -dim 8 -epoch 1 -minCount 1 -thread 1 -seed 1 -verbose 0

# what native prints for a few words, in-vocabulary and not (print-ngrams: each n-gram and its vector)
for w in café straße 日本 😀 naïve cafés 東京 a; do
  echo "== $w"
  $FT print-ngrams sg.bin "$w"
done > sg.print-ngrams.txt
printf '%s\n' the café straße 日本 😀 naïve cafés 東京 a zzz > words.txt
$FT print-word-vectors sg.bin < words.txt > sg.word-vectors.txt
printf '%s\n' 'the café is good' 'straße 日本 😀 unknownword' > sentences.txt
$FT print-sentence-vectors sg.bin < sentences.txt > sg.sentence-vectors.txt

# supervised with word bigrams: sup.bin
$FT supervised -input sup.txt -output sup -wordNgrams 2 -bucket 1000 -dim 8 -epoch 1 -minCount 1 -thread 1 -seed 1 -verbose 0
printf '%s\n' 'i love this great film' 'awful boring unknownword' > sup.sentences.txt
$FT print-sentence-vectors sup.bin < sup.sentences.txt > sup.sentence-vectors.txt
$FT print-word-vectors sup.bin < words.txt > sup.word-vectors.txt
