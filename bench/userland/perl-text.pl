# The userland bench's perl workload (bench/userland.ts): regular expressions, hashes, sort, sprintf and
# string building over generated text. Deterministic: prints the same lines on every VM.
use strict;
use warnings;

my $x = 987654321;
sub next_rand { $x = ($x * 1103515245 + 12345) % 2147483648; return $x; }

my @words;
for my $i (1 .. 80000) {
    my $len = 2 + next_rand() % 8;
    my $w = '';
    $w .= chr(97 + next_rand() % 26) for 1 .. $len;
    push @words, $w;
}
my %freq;
$freq{$_}++ for @words;
my @top = (sort { $freq{$b} <=> $freq{$a} || $a cmp $b } keys %freq)[0 .. 4];
print "distinct ", scalar(keys %freq), " top @top\n";

my $text = join ' ', @words;
my $vowelled = () = $text =~ /\b[aeiou][a-z]*[aeiou]\b/g;
print "vowelled $vowelled\n";
(my $swapped = $text) =~ s/([aeiou])([^aeiou ])/$2$1/g;
my $sum = 0;
$sum = ($sum * 31 + ord($_)) % 1000000007 for split //, substr($swapped, 0, 200000);
print "swapped $sum\n";
my @lines = map { sprintf("%-10s %6d %08x", $_, length($_) * $freq{$_}, $freq{$_} * 2654435761 % 4294967296) } sort keys %freq;
my $h = 0;
$h = ($h * 131 + length($_)) % 1000000009 for @lines;
print "lines ", scalar(@lines), " $h\n";
